"""Grading, worker side: execute one prepared notebook in the sandbox and hand back the executed notebook.

Everything here runs on any machine with this environment, from what the coordinator sends: it never reads the
course directory and never opens the gradebook (a test checks its imports). `execute` drives nbgrader's
executor; `sandbox` and `sandbox_launch` start a cold kernel in bubblewrap; `warm` and `warm_template` fork a
kernel from a pre-imported template instead; `tamper` is the guard installed in each kernel and the static scan.
"""
