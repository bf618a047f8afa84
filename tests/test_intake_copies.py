"""Which copy of the assignment is graded when a folder or zip holds several: the same one
for a folder and a zip of it, whatever the names and the order of the zip's entries,
chosen by reading the code, never by running it, and named in the results."""

import ast
import shutil
import zipfile

import pytest

from grader.engine.intake import copies
from grader.engine.intake.submission import prepare
from grader.spec import SPEC
from tests.submissions import MODULE_FILES, PARTS_1_AND_2, ROOT, build, failed, grade, reference_score
from tools import notebook

FUNCTIONS = sum(len(module.functions) for module in SPEC.modules)
# The contract functions the skeleton hands out written (helpers a student does not implement).
GIVEN = len(copies.implemented([ast.parse((ROOT / 'assignment' / name).read_text()) for name in MODULE_FILES],
                               {function for module in SPEC.modules for function in module.functions}))


def two_copies(folder, complete, skeleton):
    """A submission folder with the reference's modules in `complete`/ and the skeleton's in `skeleton`/."""
    build(folder / complete)
    build(folder / skeleton, base='assignment')
    return folder


def zipped(folder, archive, top='', reverse=False):
    """A zip of a folder's files under `top`, its entries in name order or the reverse."""
    files = sorted((p for p in folder.rglob('*') if p.is_file()), reverse=reverse)
    with zipfile.ZipFile(archive, 'w', zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            zf.write(path, top + path.relative_to(folder).as_posix())
    return archive


def graded(source, tmp_path, spec=SPEC):
    """The Submission prepare makes of a source, in a fresh workdir."""
    workdir = tmp_path / f'work-{len(list(tmp_path.glob("work-*")))}'
    workdir.mkdir()
    return prepare(source, workdir, spec)


def is_reference(submission):
    return all((submission.root / name).read_text() == (ROOT / 'solution' / name).read_text() for name in MODULE_FILES)


def reference_notebook(path):
    modules = {module.name: (ROOT / 'solution' / module.file).read_text() for module in SPEC.modules}
    path.write_text(notebook.render(notebook.build(modules, (ROOT / 'assignment' / 'README.md').read_text())))
    return path


@pytest.mark.parametrize('complete, skeleton', [('final', 'backup'), ('a_final', 'z_backup')],
                         ids=['complete sorts last', 'complete sorts first'])
def test_a_folder_and_its_zips_grade_the_same_copy_and_say_which(tmp_path, complete, skeleton):
    folder = two_copies(tmp_path / 'sub', complete, skeleton)
    sources = [folder] + [zipped(folder, tmp_path / f'{top or "flat"}-{reverse}.zip', top, reverse)
                          for top in ('', 'sub/') for reverse in (False, True)]
    prepared = [graded(source, tmp_path) for source in sources]
    assert all(is_reference(submission) for submission in prepared)
    assert len({submission.sha256 for submission in prepared}) == 1
    for submission, top in zip(prepared, ['', '', '', 'sub/', 'sub/']):
        assert submission.notes[0] == (f'Graded the modules in {top}{complete}/ ({FUNCTIONS} of {FUNCTIONS} functions '
                                       f'implemented); ignored {top}{skeleton}/ ({GIVEN} implemented)')


def test_the_results_name_the_copy_graded_and_the_copy_ignored(tmp_path):
    folder = two_copies(tmp_path / 'sub', 'final', 'backup')
    for source in (folder, zipped(folder, tmp_path / 'sub.zip', 'sub/', reverse=True)):
        results = grade(source, 'public', PARTS_1_AND_2, sandbox='none')
        assert results['score'] == reference_score('public', PARTS_1_AND_2), failed(results)
        offered = sum(len(module.functions) for module in PARTS_1_AND_2.modules)
        assert 'Graded the modules in ' in results['output']
        assert f'final/ ({offered} of {offered} functions implemented)' in results['output']
        assert 'ignored ' in results['output'] and 'backup/ (0 implemented)' in results['output']


def test_one_copy_gives_no_note_in_a_folder_or_a_zip_with_a_top_folder(tmp_path):
    folder = build(tmp_path / 'sub')
    as_folder, as_zip = graded(folder, tmp_path), graded(zipped(folder, tmp_path / 'sub.zip', 'sub/'), tmp_path)
    assert as_folder.notes == as_zip.notes == ()
    assert as_folder.sha256 == as_zip.sha256 and is_reference(as_zip)


def test_nothing_is_run_to_decide(tmp_path):
    folder = two_copies(tmp_path / 'sub', 'final', 'backup')
    marker = tmp_path / 'ran'
    for copy in ('final', 'backup'):
        with open(folder / copy / 'activations.py', 'a') as f:
            f.write(f'\nopen({str(marker)!r}, "w").close()\nraise SystemExit(3)\n')
    for source in (folder, zipped(folder, tmp_path / 'sub.zip')):
        assert 'final/ (' in graded(source, tmp_path).notes[0]
    assert not marker.exists()


def test_a_finished_notebook_beside_the_skeleton_is_graded_in_a_folder_and_a_zip(tmp_path):
    folder = build(tmp_path / 'sub', base='assignment')
    reference_notebook(folder / 'work.ipynb')
    alone = graded(reference_notebook(tmp_path / 'work.ipynb'), tmp_path)
    for source in (folder, zipped(folder, tmp_path / 'sub.zip', 'sub/')):
        submission = graded(source, tmp_path)
        assert submission.sha256 == alone.sha256
        assert f'Graded the notebook {"sub/" if source.suffix else ""}work.ipynb ({FUNCTIONS} of' in submission.notes[0]
        assert f'ignored {"sub/" if source.suffix else "the top folder"}' in submission.notes[0]


def test_a_notebook_alone_in_a_folder_or_a_zip_is_graded_without_a_note(tmp_path):
    folder = tmp_path / 'sub'
    folder.mkdir()
    alone = graded(reference_notebook(folder / 'work.ipynb'), tmp_path)
    for source in (folder, zipped(folder, tmp_path / 'sub.zip', 'sub/')):
        submission = graded(source, tmp_path)
        assert (submission.sha256, submission.notes) == (alone.sha256, alone.notes)


def test_the_skeleton_folder_grades_its_modules_and_says_its_notebook_was_ignored(tmp_path):
    submission = graded(ROOT / 'assignment', tmp_path)
    assert (submission.root / 'activations.py').read_text() == (ROOT / 'assignment' / 'activations.py').read_text()
    assert submission.notes == (
        f'Graded the modules in the top folder ({GIVEN} of {FUNCTIONS} functions implemented); ignored '
        f'assignment.ipynb ({GIVEN} implemented). They implement as many functions: the copy with the most module '
        'files was graded',)


def test_a_tie_is_broken_by_module_files_then_depth_then_name_and_the_note_says_so(tmp_path):
    build(tmp_path / 'files' / 'b', base='assignment')
    build(tmp_path / 'files' / 'a', base='assignment').joinpath('activations.py').unlink()   # nothing given in it
    note = graded(tmp_path / 'files', tmp_path).notes[0]
    assert note.startswith('Graded the modules in b/')
    assert note.endswith('the copy with the most module files was graded')
    build(tmp_path / 'depth' / 'a' / 'deep')
    build(tmp_path / 'depth' / 'b')
    assert graded(tmp_path / 'depth', tmp_path).notes[0].startswith('Graded the modules in b/')
    assert 'the shallowest copy was graded' in graded(tmp_path / 'depth', tmp_path).notes[0]
    for names in (('one', 'two'), ('two', 'one')):
        for name in names:
            build(tmp_path / '-'.join(names) / name)
        note = graded(tmp_path / '-'.join(names), tmp_path).notes[0]
        assert note.startswith('Graded the modules in one/') and note.endswith('the first copy by name was graded')


def test_the_note_names_three_ignored_copies_and_counts_the_rest(tmp_path):
    build(tmp_path / 'sub' / 'final')
    for number in range(5):
        build(tmp_path / 'sub' / f'old{number}', base='assignment')
    note = graded(tmp_path / 'sub', tmp_path).notes[0]
    assert note.startswith('Graded the modules in final/') and note.count(f'({GIVEN} implemented)') == 3
    assert note.endswith(' and 2 more')


@pytest.mark.parametrize('body, counted', [
    ('    """Doc."""\n    raise NotImplementedError', False),
    ('    # TODO: write it\n    raise NotImplementedError("relu")', False),
    ('    pass', False),
    ('    ...', False),
    ('    return np.maximum(x, 0)', True),
    ('    y = np.maximum(x, 0)\n    return y\n    raise NotImplementedError', True),
], ids=['docstring and raise', 'raise with a message', 'pass', 'ellipsis', 'code', 'code before the raise'])
def test_a_function_is_implemented_when_its_body_is_not_a_stub(body, counted):
    tree = ast.parse(f'import numpy as np\n\n\ndef relu(x):\n{body}\n')
    assert copies.implemented([tree], {'relu'}) == ({'relu'} if counted else set())


def test_the_last_definition_of_a_name_counts():
    stub, written = 'def relu(x):\n    raise NotImplementedError\n', 'def relu(x):\n    return x\n'
    assert copies.implemented([ast.parse(stub + written)], {'relu'}) == {'relu'}
    assert copies.implemented([ast.parse(written), ast.parse(stub)], {'relu'}) == set()
    assert copies.implemented([ast.parse('relu = lambda x: x\n')], {'relu'}) == {'relu'}


def test_a_module_too_large_to_count_counts_no_function(tmp_path):
    build(tmp_path / 'sub' / 'a')
    with open(tmp_path / 'sub' / 'a' / 'activations.py', 'a') as f:
        f.write('#' * copies.MAX_SOURCE)
    build(tmp_path / 'sub' / 'b')
    assert graded(tmp_path / 'sub', tmp_path).notes[0].startswith('Graded the modules in b/')


def test_a_folder_with_one_zip_and_no_copy_grades_the_zip(tmp_path):
    (tmp_path / 'upload').mkdir()
    archive = zipped(build(tmp_path / 'work'), tmp_path / 'upload' / 'work.zip', 'work/')
    assert graded(tmp_path / 'upload', tmp_path).sha256 == graded(archive, tmp_path).sha256


def test_a_copy_is_graded_only_from_the_entries_read(tmp_path):
    folder = tmp_path / 'sub'
    (folder / '__MACOSX' / 'old').mkdir(parents=True)
    shutil.copy(ROOT / 'solution' / 'activations.py', folder / '__MACOSX' / 'old' / 'activations.py')
    build(folder / 'work', base='assignment')
    assert graded(folder, tmp_path).notes == ()


def test_placeholders_that_return_a_constant_count_as_stubs(tmp_path):
    """A backup whose functions all `return None` is no finished copy: the finished one is graded."""
    import re as regex
    folder = tmp_path / 'upload'
    for name in ('final', 'backup'):
        build(folder / name)
    for module in (folder / 'backup').glob('*.py'):
        module.write_text(regex.sub(r'(?m)^(def \w+\(.*\):\n)(?:(?:    .*|)\n)*', r'\1    return None\n\n\n',
                                    module.read_text()))
    submission = graded(folder, tmp_path)
    assert is_reference(submission)
    assert submission.notes[0].startswith('Graded the modules in final/')
