"""The core: what a set counts (:class:`~.plan.SetPlan`), shared by every backend."""
