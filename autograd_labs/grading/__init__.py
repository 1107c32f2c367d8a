"""Grading, coordinator side: plan who is graded, prepare each notebook, send it to a worker, record the score.

The coordinator is the only code that reads the course directory and writes the gradebook (`grade`, `prepare`,
`record`, `cluster`). What runs on a worker lives in `autograd_labs.grading.worker` and is handed everything it
needs. This package imports nothing on its own, so a worker's sandbox can import its worker modules alone.
"""
