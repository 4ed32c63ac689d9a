"""The intake window (受理) and its five pages: item, applicant, materials, decision, done.

Each page shows what the intake service holds and asks the service to change it; the
window steps between the pages.
"""
