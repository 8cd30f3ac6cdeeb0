"""Tools for the people who write indicator content: checking content files and running their examples
(:mod:`.validate`), comparing two versions of a set (:mod:`.diff`) and the generated catalogue of the
shipped sets (:mod:`.catalogue`)."""
