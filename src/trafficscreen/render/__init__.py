"""Renderers turn a :class:`~trafficscreen.ScreeningResult` into text for people. They never re-evaluate
rules: everything they show is already in the result."""
