"""Instructor tooling for autograd-labs: release, grade and report the course's nbgrader labs."""
