"""The core: what a set counts (:class:`~.plan.SetPlan`, shared by every backend), the scopes conditions
are checked in (:mod:`.scopes`), the checked and compiled set (:mod:`.compiled`), screening
(:mod:`.engine`) and who can be asked (:mod:`.interview`)."""
