# The course's two commands (see README.md):
#   make course   set up a virtual environment and open the course in JupyterLab
#   make test     set up a virtual environment and run every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: course test setup setup-dev browser-deps classroom-deps lint figures site slides handouts vendor link student-build instructor-build assignments classroom-benchmark

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# torch first: PyTorch's CPU build on Linux without an NVIDIA GPU (tools/torch_install.py says why and how
# COURSE_TORCH=auto|cpu|pypi chooses); then the rest. setuptools' editable-install notice is silenced.
PIP_QUIET := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet

$(VENV)/.course-installed: requirements.txt pyproject.toml tools/torch_install.py | $(BIN)/python
	$(BIN)/python tools/torch_install.py
	$(PIP_QUIET) -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt classroom/requirements.txt pyproject.toml tools/torch_install.py | $(BIN)/python
	$(BIN)/python tools/torch_install.py
	$(PIP_QUIET) -r requirements-dev.txt
	touch $@

setup: $(VENV)/.course-installed
setup-dev: $(VENV)/.dev-installed

# JupyterLab refuses to start as root without --allow-root (containers, CI machines): pass it only there.
# COURSE_PROJECTOR=1 also enlarges JupyterLab's own text, code and interface (tools/projector_settings.py),
# in a settings folder of its own, so that a teacher's usual settings stay as they are.
course: setup
	@if [ "$${COURSE_PROJECTOR:-0}" = 1 ]; then \
	  $(BIN)/python tools/projector_settings.py $(VENV)/projector-settings >/dev/null; \
	  export JUPYTERLAB_SETTINGS_DIR="$(abspath $(VENV))/projector-settings"; \
	fi; \
	$(BIN)/jupyter lab $$([ "$$(id -u)" = 0 ] && echo --allow-root) notebooks/00_welcome.ipynb

# Chromium for the browser test, from Debian's packages (Playwright drives it; it never downloads a browser).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Chromium for the browser test..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install chromium' for the browser test."; \
	  fi; \
	fi

# The classroom (classroom/README.md): JupyterHub, nbgitpuller and nbgrader from PyPI (requirements-dev.txt
# includes classroom/requirements.txt), and configurable-http-proxy from npm at the version classroom/package.json
# pins, into classroom/node_modules (git-ignored). Without npm the hub tests skip and say why.
CHP := classroom/node_modules/.bin/configurable-http-proxy
$(CHP): classroom/package.json
	@if ! command -v npm >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing Node.js and npm for the classroom's proxy..."; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; \
	fi
	@if command -v npm >/dev/null; then \
	  (cd classroom && npm install --no-audit --no-fund --package-lock=false --loglevel=error) && touch $@ \
	    || echo "npm install failed: the JupyterHub tests will skip (run 'make classroom-deps' again)."; \
	else \
	  echo "npm is missing: the JupyterHub tests will skip (install Node.js and npm, then 'make classroom-deps')."; \
	fi

classroom-deps: setup-dev $(CHP)

# pytest's exit code 5 means no test was collected: that is a failure here, said out loud.
test: setup-dev browser-deps classroom-deps
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treating that as a failure."; exit 1; fi; \
	exit $$rc

lint: setup-dev
	$(BIN)/ruff check .

figures: setup
	$(BIN)/python figures/make_figures.py

# The rendered site (site/, git-ignored): every notebook executed once, as HTML pages with previous/next
# links (site/index.html) and as reveal.js slide decks (site/slides/). COURSE_FAST=1 make site is quick.
site: setup-dev
	$(BIN)/python tools/build_site.py

# The decks for a room: notebooks executed in projector mode (large figure text), 1280x720 slides, offline.
slides: setup-dev
	COURSE_PROJECTOR=1 $(BIN)/python tools/build_site.py --to slides

# The nbgitpuller link for a class: make link HUB=https://hub.example.org NOTEBOOK=notebooks/02_cross_entropy_and_kl.ipynb
HUB ?=
REPO ?= https://github.com/cross-entropy-course/cross-entropy-course
BRANCH ?= main
NOTEBOOK ?= notebooks/00_welcome.ipynb
link:
	@$(PYTHON) classroom/make_link.py --hub "$(HUB)" --repo "$(REPO)" --branch "$(BRANCH)" --notebook "$(NOTEBOOK)"

# A class's builds (classroom/README.md): students get no reference answers; the instructor gets them and the
# nbgrader course folder. Both land in build/ (git-ignored).
student-build: setup-dev
	$(BIN)/python tools/course_builds.py student build/student

instructor-build: setup-dev
	$(BIN)/python tools/course_builds.py instructor build/instructor

assignments: setup-dev
	$(BIN)/python tools/course_builds.py assignments build/grading

# N students on a real JupyterHub on this machine: make classroom-benchmark STUDENTS=30
STUDENTS ?= 30
classroom-benchmark: classroom-deps
	nice -n 10 $(BIN)/python benchmarks/classroom.py --students $(STUDENTS)


# The browser assets the site and decks serve themselves (reveal.js, MathJax, the widget renderer), from npm:
# pinned in tools/vendor/package-lock.json, checked against its sha512, cached in build/vendor-cache/.
vendor:
	$(PYTHON) tools/vendor.py

# A printable PDF per notebook (handouts/), executed, with its figures: nbconvert's webpdf and Debian's Chromium.
handouts: setup-dev browser-deps
	$(BIN)/python tools/handouts.py
