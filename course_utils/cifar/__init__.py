"""The CIFAR-10 wing of the course (torch): notebooks 07 and 08.

- ``data``: download, verify and load CIFAR-10 as uint8 tensors; the stand-in fixture; augmentation.
- ``models``: the tutorial's LeNet-style net and the fast conv-BN nets.
- ``train``: ``fit`` (a short loop over an epoch, a step, the schedule, the checkpoint) and ``evaluate``.
- ``optim``, ``reporting``, ``checkpoint``, ``devices``: the optimizer and schedule; the progress bar and
  live plot; safe checkpoints; devices and precision.
- ``budget``: recipes defined by a time budget (measure the machine, choose the epochs, end on time).
- ``figures``: image grids, the confusion matrix, where the test loss comes from.
- ``calibration_study``: notebook 08's trained variants, before and after temperature scaling.

Nothing is imported here: ``from course_utils.cifar import train`` loads what it needs (torch included).
"""

__all__ = ["budget", "calibration_study", "checkpoint", "data", "devices", "figures", "models", "optim", "reporting",
           "train"]
