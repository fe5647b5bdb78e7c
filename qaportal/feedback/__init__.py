"""Learner and peer feedback: campaigns, one-time invitations, anonymous responses, results.

See :mod:`qaportal.feedback.models` for how anonymity is kept.
"""
