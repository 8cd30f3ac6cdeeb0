"""Content as files: the safe YAML reader (:mod:`.yamlsource`), the loader of dictionaries and sets with
the registry of shipped content and ``DEFAULT_SET`` (:mod:`.loader`), the referral packs, site files and
message catalogues (:mod:`.referral`) and the column mappings of the columnar and SQL inputs
(:mod:`.mapping`)."""
