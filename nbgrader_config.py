"""nbgrader settings for the autograd-labs course (the repository root is the course directory)."""
from nbgrader.converters import GenerateAssignment

c = get_config()

# The course's name in every gradebook.
c.CourseDirectory.course_id = "autograd-labs"

# Seconds a single cell may run when grading: an infinite loop fails its cell instead of stalling the class.
c.Execute.timeout = 30

# Release notebooks open with an "Open in Colab" badge that points at this repository.
c.AddColabBadge.repository = "https://github.com/autograd-labs/autograd-labs"
c.GenerateAssignment.preprocessors = GenerateAssignment.class_traits()["preprocessors"].default() + [
    "autograd_labs.colab.AddColabBadge"
]
