"""nbgrader settings for the autograd-labs course (the repository root is the course directory)."""
from nbgrader.converters import GenerateAssignment, GenerateFeedback

c = get_config()

# The course's name in every gradebook.
c.CourseDirectory.course_id = "autograd-labs"

# Seconds a single cell may run when grading: an infinite loop fails its cell instead of stalling the class.
c.Execute.timeout = 30

# Release notebooks open with an "Open in Colab" badge that points at this repository.
c.AddColabBadge.repository = "https://github.com/autograd-labs/autograd-labs"
c.GenerateAssignment.preprocessors = GenerateAssignment.class_traits()["preprocessors"].default() + [
    "autograd_labs.nbgrader_plugins.AddColabBadge"
]

# Feedback never shows hidden tests: their source is removed and graded cells' tracebacks cut to one line.
c.GenerateFeedback.preprocessors = GenerateFeedback.class_traits()["preprocessors"].default() + [
    "autograd_labs.nbgrader_plugins.HideHiddenTests"
]

# Seconds a whole notebook may run when grading (each cell also stops at Execute.timeout).
c.AutogradLabs.notebook_timeout = 300
# Student code runs in a bubblewrap sandbox (no network, no course files) where bwrap is installed,
# with this much data memory (MiB) per notebook.
c.AutogradLabs.sandbox = True
c.AutogradLabs.memory_mb = 4096

# `autograd-labs collect LAB --zip FILE`: submission file names in a learning platform's zip download, e.g.
# ada_1234_5678_lab01_forward_backward.ipynb (student id, two numbers, the lab; a "-1" resubmission suffix is ok).
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[^/_]+)_(?:late_)?\d+_\d+_(?P<file_id>lab\d\d_\w+?)(?:-\d+)?\.ipynb$"
)

# A submission whose graded cells were deleted gets them back from the gradebook (the grade report says so).
c.OverwriteCells.add_missing_cells = True

# Feedback pages show what student code displayed as text: its HTML is sanitized (a <script> or an onerror
# attribute appears escaped) and its Javascript outputs are left out, so nothing a student wrote runs in them.
c.HTMLExporter.sanitize_html = True
