"""Tools for the people who write indicator content: comparing two versions of a set
(:mod:`.diff`)."""
