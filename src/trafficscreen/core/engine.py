"""Screening: one encounter in, one :class:`ScreeningResult` out.

A :class:`Screener` holds a compiled set and the parts of every result that depend only on the set
(indicator texts, sources, reasons), built once per language. It keeps no state between calls, so one
instance can serve many threads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from .._deprecation import renamed_keyword
from .._version import __version__
from ..content.loader import DEFAULT_SET as DEFAULT_SET  # re-exported: its old home
from ..content.loader import resolve_set
from ..messages import check_lang, msg
from ..model.common import LEVELS_IN_ORDER, Form, Level
from ..model.encounter import Encounter, check_answers, split_encounter
from ..model.indicator_set import Status, Strength
from ..model.result import (
    RESULT_SCHEMA_VERSION,
    CannotAsk,
    Completeness,
    DimensionOutcome,
    DimensionStatus,
    FormSuggestion,
    IndicatorOutcome,
    IndicatorStatus,
    Question,
    ScreeningResult,
    SetInfo,
    SourceInfo,
    StrengthCounts,
    build,
    build_result,
)
from .compiled import CompiledSet
from .interview import CheckedAskRule, askability
from .relevance import Relevance, SoundFilter

_STATUS = {True: IndicatorStatus.MET, False: IndicatorStatus.NOT_MET, None: IndicatorStatus.UNKNOWN}
_DSTATUS = {True: DimensionStatus.PRESENT, False: DimensionStatus.ABSENT, None: DimensionStatus.UNKNOWN}
_PRIORITY = {Strength.STRONG: 0, Strength.MEDIUM: 1, Strength.WEAK: 2, None: 3}


_FORM_ORDER = {f: n for n, f in enumerate(Form)}


class _Screened:
    """What a screen computed at once (the level reached), and what its other parts are computed from on
    first use: the highest level still possible, and the whole compiled run."""

    __slots__ = ("_highest", "_level_status", "_run", "_scales", "_set", "answers", "level", "parts")

    def __init__(
        self, cs: CompiledSet, scales: Sequence[Level], answers: dict[str, Any], parts: _LangParts, level: Level
    ) -> None:
        self.answers = answers
        self.parts = parts
        self.level = level
        self._set = cs
        self._scales = scales
        self._run: tuple[Any, Any, Any] | None = None
        self._level_status: tuple[bool | None, ...] | None = None
        self._highest: Level | None = None

    @property
    def run(self) -> tuple[Any, Any, Any]:
        """(indicator statuses, dimension statuses, dimension counts) from the compiled set.

        Run on first use (the level came from the set's cheaper ``certain_levels``). Two threads reading
        it at once may both run it; they store equal values.
        """
        if self._run is None:
            statuses, dim_status, dim_counts, self._level_status = self._set.run(self.answers)
            self._run = (statuses, dim_status, dim_counts)
        return self._run

    @property
    def highest(self) -> Level:
        """The highest level the unknown answers could still lead to (never below the level reached): from
        the whole run if it was made, else from the set's ``possible_levels``."""
        if self._highest is None:
            self._highest = _top(self._scales, self._level_status or self._set.possible_levels(self.answers))
        return self._highest


def _top(scales: Sequence[Level], holds: Sequence[bool | None]) -> Level:
    """The highest of ``scales`` (listed lowest first) whose level rule ``holds`` is not False, else none:
    the level reached from the certain world, the highest possible from the other world or a whole run."""
    top = Level.NONE
    for scale, st in zip(scales, holds, strict=True):
        if st is not False:
            top = scale
    return top


RuleStatus = dict[str, tuple[bool | None, tuple[int, ...]]]
"""Per ask rule, its :func:`~.interview.askability`: whether its questions can be put now (None while a
fact it reads is unknown), and the requirements that fail or are still open."""
_CACHE_LIMIT = 4096
"""Most distinct dimension outcomes or form lists a Screener keeps for reuse (they are immutable)."""


class _LangParts:
    """Everything in a result that depends only on the set and the language, built once."""

    def __init__(self, cs: CompiledSet, lang: str) -> None:
        d = cs.definition
        sources = {s.id: s for s in d.sources}
        self.lang = lang
        self.set_info = SetInfo(
            id=d.id,
            version=d.version,
            status=d.status,
            title=d.title.get(lang),
            sha256=cs.sha256,
            dictionary=d.dictionary,
            dictionary_sha256=cs.dictionary_sha256,
            canonical_url=d.canonical_url,
        )
        self.outcomes: list[dict[bool | None, IndicatorOutcome]] = []
        for ind, fields in zip(d.indicators, cs.indicator_fields, strict=True):
            src = sources[ind.source.source]
            source = SourceInfo(
                source=src.id,
                citation=src.citation,
                locator=ind.source.locator,
                verified=ind.source.verified,
                url=src.url,
            )
            per_status: dict[bool | None, IndicatorOutcome] = {}
            for value, status in _STATUS.items():
                if status is IndicatorStatus.UNKNOWN:
                    reason = msg(lang, "reason.unknown", fields=", ".join(fields))
                else:
                    reason = msg(lang, f"reason.{status.value}")
                per_status[value] = IndicatorOutcome(
                    id=ind.id,
                    status=status,
                    text=ind.text.get(lang),
                    dimension=ind.dimension,
                    strength=ind.strength,
                    points=ind.weight_points,
                    forms=list(ind.forms),
                    red_flag=ind.red_flag,
                    fields=list(fields),
                    condition=ind.when.strip(),
                    reason=reason,
                    source=source,
                )
            self.outcomes.append(per_status)
        self.dim_titles = [dim.title.get(lang) for dim in d.dimensions]
        self.dim_reasons = [
            {v: msg(lang, f"dim.{s.value}", rule=text.strip()) for v, s in _DSTATUS.items()}
            for text, _tree, _checker in cs.checked.dimensions
        ]
        self.level_titles = {Level.NONE: msg(lang, "level.none")}
        self.level_reasons: dict[Level, str] = {}
        self.level_ids: dict[Level, str] = {}
        for lv in d.levels:
            self.level_titles[lv.scale] = lv.title.get(lang)
            self.level_ids[lv.scale] = lv.id
            self.level_reasons[lv.scale] = msg(lang, "why.level", title=lv.title.get(lang))
        self.form_labels = {f: msg(lang, f"form.{f.value}") for f in Form}
        readers: dict[str, list[int]] = {}
        for i, fields in enumerate(cs.indicator_fields):
            for f in fields:
                readers.setdefault(f, []).append(i)
        self.questions: dict[str, Question] = {}
        for f, idx in readers.items():
            fd = cs.dictionary.by_id[f]
            self.questions[f] = Question(
                field=f,
                question=fd.question.get(lang),
                asked_of=fd.asked_of,
                indicators=[d.indicators[i].id for i in idx],
                red_flag=any(d.indicators[i].red_flag for i in idx),
            )
        # the facts an ask rule reads (age, who is present) are asked first when a rule is still open
        for f in sorted({n for r in cs.ask_rules.values() for n in r.reads}):
            if f not in self.questions:
                fd = cs.dictionary.by_id[f]
                self.questions[f] = Question(
                    field=f, question=fd.question.get(lang), asked_of=fd.asked_of, indicators=[], red_flag=False
                )
        self.ask_rule_titles = {r.id: r.title.get(lang) for r in cs.dictionary.ask_rules}
        self.ask_rule_reasons = {r.id: [req.otherwise.get(lang) for req in r.requires] for r in cs.dictionary.ask_rules}
        self.notice = msg(lang, "notice")
        self.why_none = msg(lang, "why.none")
        self.why_settled = msg(lang, "why.settled")
        self.why_could_rise = {lv: msg(lang, "why.could_rise", level=t) for lv, t in self.level_titles.items()}
        self.why_dimension = [msg(lang, "why.dimension", title=t) for t in self.dim_titles]
        self.why_flag = [
            msg(lang, "why.red_flag", text=ind.text.get(lang)) if ind.red_flag else "" for ind in d.indicators
        ]
        self.warnings: list[str] = []
        if d.status is Status.DRAFT:
            self.warnings.append(msg(lang, "warn.draft"))
        elif d.status is Status.RETIRED:
            self.warnings.append(msg(lang, "warn.retired"))
        # immutable pieces reused across results, bounded in number
        self.dim_cache: dict[tuple[Any, ...], DimensionOutcome] = {}
        self.form_cache: dict[tuple[Any, ...], list[FormSuggestion]] = {}
        self.lead_cache: dict[tuple[str, Level], Question] = {}
        self.dims_cache: dict[tuple[Any, ...], list[DimensionOutcome]] = {}


class _PartsByLanguage(dict[str, _LangParts]):
    """A language's :class:`_LangParts`, built the first time a screen asks for that language (a Screener
    serving one language never builds the others). Two threads asking at once may both build; the first
    stored is kept and both get it, so every result shares one set of parts."""

    def __init__(self, cs: CompiledSet) -> None:
        super().__init__()
        self._set = cs

    def __missing__(self, lang: str) -> _LangParts:
        return self.setdefault(lang, _LangParts(self._set, lang))


class Screener:
    """Screens encounters with one indicator set.

    >>> screener = Screener(load_set("ilo-child-labour"))          # doctest: +SKIP
    >>> screener.screen({"answers": {"excessive_hours": True}})    # doctest: +SKIP

    Results share immutable parts (indicator outcomes, sources) with one another; treat them as
    read-only, as their frozen models require.
    """

    def __init__(self, indicator_set: CompiledSet | str | Path, *, lang: str = "en", allow_draft: bool = False) -> None:
        indicator_set = resolve_set(indicator_set, allow_draft=allow_draft)  # the one draft policy
        self.set = indicator_set
        self.lang = check_lang(lang)
        self._parts = _PartsByLanguage(indicator_set)
        d = indicator_set.definition
        self._level_scales: list[Level] = [lv.scale for lv in d.levels]
        self._level_rules: dict[Level, str] = {lv.scale: " ".join(lv.when.split()) for lv in d.levels}
        self._red_flag_idx = [i for i, ind in enumerate(d.indicators) if ind.red_flag]
        self._forms_of = [tuple(form for form in Form if form in ind.forms) for ind in d.indicators]
        self._ids = [ind.id for ind in d.indicators]
        # questions in priority order: red flags first, then by the strongest indicator reading the field
        rank: dict[str, tuple[int, int, int]] = {}
        for i, (ind, fields) in enumerate(zip(d.indicators, indicator_set.indicator_fields, strict=True)):
            key = (0 if ind.red_flag else 1, _PRIORITY[ind.strength], i)
            for f in fields:
                if f not in rank or key < rank[f]:
                    rank[f] = key
        self._question_order = sorted(rank, key=rank.__getitem__)
        self._bits = [1 << i for i in range(len(d.indicators))]
        self._count_cache: dict[tuple[int, int, int, int], StrengthCounts] = {}
        masks = indicator_set.field_readers
        flagged = {
            f for i, fields in enumerate(indicator_set.indicator_fields) if d.indicators[i].red_flag for f in fields
        }
        # one sortable integer per question: [not a red flag][most indicators decided first][index]
        self._idx_bits = max(1, len(self._question_order).bit_length())
        cnt_bits = len(d.indicators).bit_length() + 1
        most = (1 << cnt_bits) - 1
        self._question_keys = [
            ((((0 if f in flagged else 1) << cnt_bits) | most) << self._idx_bits | n, masks[f], f, f in flagged)
            for n, f in enumerate(self._question_order)
        ]
        self._used = frozenset(indicator_set.used_fields)
        self._dim_ids = [dim.id for dim in d.dimensions]
        self._dim_rules = [text.strip() for text, _t, _c in indicator_set.checked.dimensions]
        rules = indicator_set.ask_rules
        by_id = indicator_set.dictionary.by_id
        self._rule_of: dict[str, str] = {
            f: rule_id for f in indicator_set.used_fields if (rule_id := by_id[f].askable_when) is not None
        }
        self._ask_rules: dict[str, CheckedAskRule] = {r: rules[r] for r in sorted(set(self._rule_of.values()))}
        self._ruled_fields = {r: frozenset(f for f, rf in self._rule_of.items() if rf == r) for r in self._ask_rules}
        self._field_order = {fd.id: n for n, fd in enumerate(indicator_set.dictionary.fields)}
        self._ask_cache: dict[tuple[Any, ...], tuple[bool | None, tuple[int, ...]]] = {}
        # which questions can still change the level: a cheap sound filter, then an exact search
        self._sound = SoundFilter(indicator_set)
        self._order_of = {f: n for n, f in enumerate(self._question_order)}

    @cached_property
    def _relevance(self) -> Relevance:
        """The exact search, built when a screen first needs it (most Screeners of a batch never do)."""
        return Relevance(self.set, self._sound)

    def screen(
        self, encounter: Encounter | Mapping[str, Any] | str | bytes, *, lang: str | None = None
    ) -> ScreeningResult:
        """Screen one encounter: an :class:`Encounter`, a dict ``{"id": ..., "answers": {...}}``, or that
        dict as JSON text (read strictly: a duplicated key is an error, never the last one winning)."""
        enc_id, raw = split_encounter(encounter)
        answers = check_answers(raw, self.set.dictionary)
        parts = self._parts[check_lang(lang) if lang is not None else self.lang]
        return self._result(enc_id, answers, parts)

    def _dimension(self, parts: _LangParts, k: int, st: bool | None, c: tuple[int, ...]) -> DimensionOutcome:
        key = (k, st, c)
        cached = parts.dim_cache.get(key)
        if cached is not None:
            return cached
        out = build(
            DimensionOutcome,
            {
                "id": self._dim_ids[k],
                "title": parts.dim_titles[k],
                "status": _DSTATUS[st],
                "met": self._counts(c[0], c[2], c[4], c[6]),
                "unknown": self._counts(c[1] - c[0], c[3] - c[2], c[5] - c[4], c[7] - c[6]),
                "rule": self._dim_rules[k],
                "reason": parts.dim_reasons[k][st],
            },
        )
        if len(parts.dim_cache) < _CACHE_LIMIT:
            parts.dim_cache[key] = out
        return out

    def _dimensions(self, parts: _LangParts, dim_status: Any, dim_counts: Any) -> list[DimensionOutcome]:
        """Every dimension's outcome; the list is reused for the same statuses and counts (copied, since a
        result's lists belong to it)."""
        key = (dim_status, dim_counts)
        cached = parts.dims_cache.get(key)
        if cached is None:
            cached = [self._dimension(parts, k, st, dim_counts[k]) for k, st in enumerate(dim_status)]
            if len(parts.dims_cache) < _CACHE_LIMIT:
                parts.dims_cache[key] = cached
        return list(cached)

    def _counts(self, strong: int, medium: int, weak: int, points: int) -> StrengthCounts:
        key = (strong, medium, weak, points)
        cached = self._count_cache.get(key)
        if cached is None:
            cached = build(StrengthCounts, {"strong": strong, "medium": medium, "weak": weak, "points": points})
            if len(self._count_cache) < _CACHE_LIMIT:
                self._count_cache[key] = cached
        return cached

    def _form_list(self, parts: _LangParts, statuses: tuple[bool | None, ...]) -> list[FormSuggestion]:
        """The forms the met indicators point to, most indicators first (a copy: a result's lists belong
        to it)."""
        met = tuple([i for i, st in enumerate(statuses) if st is True])  # few: a small key, often repeated
        cached = parts.form_cache.get(met)
        if cached is not None:
            return list(cached)
        ids = self._ids
        hits: dict[Form, list[str]] = {}
        for i in met:
            for form in self._forms_of[i]:
                hits.setdefault(form, []).append(ids[i])
        found = sorted(hits.items(), key=lambda item: (-len(item[1]), _FORM_ORDER[item[0]]))
        out = [
            build(FormSuggestion, {"form": form, "label": parts.form_labels[form], "indicators": hit})
            for form, hit in found
        ]
        if len(parts.form_cache) < _CACHE_LIMIT:
            parts.form_cache[met] = out
        return list(out)

    def _result(self, encounter_id: str | None, answers: dict[str, Any], parts: _LangParts) -> ScreeningResult:
        cs = self.set
        level = _top(self._level_scales, cs.certain_levels(answers))
        screened = _Screened(cs, self._level_scales, answers, parts, level)

        def bounds() -> dict[str, Any]:  # on first use: it needs the other world of the level rules
            highest = screened.highest
            return {"highest_possible": highest, "settled": highest is level}

        def details() -> dict[str, Any]:  # on first use: many callers of screen() read only the level
            return self._details(screened, self._rule_status(answers))

        def questions() -> dict[str, Any]:  # on first use, and the costliest part of a screen
            ask_next, cannot_ask, recording = self._questions(screened, self._rule_status(answers))
            return {"ask_next": ask_next, "cannot_ask": cannot_ask, "worth_recording": recording}

        return build_result(
            {
                "schema_version": RESULT_SCHEMA_VERSION,
                "engine_version": __version__,
                "set": parts.set_info,
                "encounter_id": encounter_id,
                "lang": parts.lang,
                "level": level,
                "level_id": parts.level_ids.get(level),
                "level_title": parts.level_titles[level],
                "level_rule": self._level_rules.get(level),
                "summary": parts.level_titles[level],
                "notice": parts.notice,
                "warnings": list(parts.warnings),
            },
            bounds,
            details,
            questions,
        )

    def _details(self, screened: _Screened, rule_status: RuleStatus) -> dict[str, Any]:
        """The result's detail fields (indicators, dimensions, reasons, red flags, forms, completeness)."""
        answers, parts, level = screened.answers, screened.parts, screened.level
        statuses, dim_status, dim_counts = screened.run
        not_askable = sum(
            len(fields.difference(answers))
            for rule_id, fields in self._ruled_fields.items()
            if rule_status[rule_id][0] is False
        )
        total = len(self.set.used_fields) - not_askable
        answered = len(self._used.intersection(answers))
        reasons: list[str] = []
        if level is Level.NONE:
            reasons.append(parts.why_none)
        else:
            reasons.append(parts.level_reasons[level])
            reasons.extend(parts.why_dimension[k] for k, st in enumerate(dim_status) if st is True)
            reasons.extend(parts.why_flag[i] for i in self._red_flag_idx if statuses[i] is True)
        highest = screened.highest
        reasons.append(parts.why_could_rise[highest] if highest.rank > level.rank else parts.why_settled)
        return {
            "completeness": build(
                Completeness,
                {"answered": answered, "total": total, "complete": answered >= total, "not_askable": not_askable},
            ),
            "reasons": reasons,
            "red_flags": [self._ids[i] for i in self._red_flag_idx if statuses[i] is True],
            "forms": self._form_list(parts, statuses),
            "dimensions": self._dimensions(parts, dim_status, dim_counts),
            "indicators": list(map(dict.__getitem__, parts.outcomes, statuses)),
        }

    def _questions(
        self, screened: _Screened, rule_status: RuleStatus
    ) -> tuple[list[Question], list[CannotAsk], list[Question]]:
        """(ask_next, cannot_ask, worth_recording) of a screen."""
        run = screened.run  # first: the highest level is then read from it, not run again
        answers, parts, level, highest = screened.answers, screened.parts, screened.level, screened.highest
        statuses = run[0]
        still_unknown = 0
        for bit, st in zip(self._bits, statuses, strict=True):
            if st is None:
                still_unknown |= bit
        keys = self._question_keys
        ask_next: list[Question] = []
        if highest.rank <= level.rank:
            worth = [n for n, (_b, readers, f, _fl) in enumerate(keys) if readers & still_unknown and f not in answers]
        else:
            scales = self._level_scales
            lo = scales.index(level) if level in scales else -1
            reach = self._sound.reach(*run, lo, scales.index(highest))
            candidates, worth = self._candidates(answers, reach, still_unknown)
            if candidates:  # the sound filter kept them; the exact search drops those that cannot matter
                dropped, _unproven = self._relevance.irrelevant(answers, candidates, still_unknown)
                if dropped:
                    candidates = [f for f in candidates if f not in dropped]
                    worth = sorted([*worth, *(self._order_of[f] for f in dropped)])
            ask_next = self._lead(parts, candidates, reach, lo)
        questions = parts.questions
        recording = [questions[self._question_order[n]] for n in worth]
        cannot_ask: list[CannotAsk] = []
        if rule_status:
            if ask_next:
                ask_next, cannot_ask = self._who_can_be_asked(ask_next, answers, parts, rule_status)
            if recording and ask_next:  # a fact an ask rule reads is asked first, not merely recorded
                asked = {q.field for q in ask_next}
                recording = [q for q in recording if q.field not in asked]
            if recording:  # only what someone present can answer now
                rule_of = self._rule_of
                recording = [q for q in recording if (r := rule_of.get(q.field)) is None or rule_status[r][0] is True]
        return ask_next, cannot_ask, recording

    def _candidates(
        self, answers: dict[str, Any], reach: tuple[int, ...], still_unknown: int
    ) -> tuple[list[str], list[int]]:
        """The unanswered fields the sound filter keeps, in asking order, and the indexes of the others
        that an unknown indicator reads (worth recording). ``reach``: per open level, the indicators that
        can still decide it."""
        # an unanswered field is worth asking when an indicator reading it is still unknown and can
        # still change the level
        unknown = 0
        for mask in reach:
            unknown |= mask
        unknown &= still_unknown
        # red flags first, in the set's priority order (immediate danger is asked about before anything
        # else); then the question that decides the most still-unknown indicators, since one answer
        # (often a no) then settles many at once; then the set's own priority order
        dead = self._sound.closed(unknown, answers)
        shift = self._idx_bits
        order_keys = []
        worth: list[int] = []
        for n, (base, readers, f, flagged) in enumerate(self._question_keys):
            if f in answers:
                continue
            hit = readers & unknown
            if hit and f in dead:
                hit &= ~dead[f]
            if hit:
                order_keys.append(base if flagged else base - (hit.bit_count() << shift))
            elif readers & still_unknown:
                worth.append(n)
        order_keys.sort()
        order, mask = self._question_order, (1 << shift) - 1
        return [order[k & mask] for k in order_keys], worth

    def _lead(self, parts: _LangParts, candidates: list[str], reach: tuple[int, ...], lo: int) -> list[Question]:
        """The questions for ``candidates``, each with the highest level an answer could still lead to: the
        highest open level whose deciding indicators read the field (``reach``, lowest first)."""
        readers, scales, cache = self.set.field_readers, self._level_scales, parts.lead_cache
        top = len(reach) - 1
        out = []
        for f in candidates:
            r = readers[f]
            j = top
            while j and not reach[j] & r:
                j -= 1
            level = scales[lo + 1 + j]
            q = cache.get((f, level))
            if q is None:
                q = build(Question, {**parts.questions[f].__dict__, "could_lead_to": level})
                if len(cache) < _CACHE_LIMIT:
                    cache[(f, level)] = q
            out.append(q)
        return out

    def _rule_status(self, answers: dict[str, Any]) -> RuleStatus:
        """Each ask rule's outcome on ``answers`` (empty for a set without ask rules)."""
        return {rule_id: self._askability(rule, answers) for rule_id, rule in self._ask_rules.items()}

    def _askability(self, rule: CheckedAskRule, answers: dict[str, Any]) -> tuple[bool | None, tuple[int, ...]]:
        # a rule reads a few record and clinician facts: cache its outcome by their values (immutable)
        key = (rule.id, *[answers.get(f) for f in rule.reads])
        cached = self._ask_cache.get(key)
        if cached is None:
            cached = askability(rule, answers)
            if len(self._ask_cache) < _CACHE_LIMIT:
                self._ask_cache[key] = cached
        return cached

    def _who_can_be_asked(
        self,
        candidates: list[Question],
        answers: dict[str, Any],
        parts: _LangParts,
        rule_status: RuleStatus,
    ) -> tuple[list[Question], list[CannotAsk]]:
        """Split the questions worth asking into those askable now, the facts to record first (what an open
        ask rule reads), and those no one present can be asked (grouped by rule and unmet requirements)."""
        rule_of = self._rule_of
        askable: list[Question] = []
        blocked: dict[str, list[str]] = {}
        waiting: set[str] = set()
        for q in candidates:
            rule_id = rule_of.get(q.field)
            if rule_id is None:
                askable.append(q)
                continue
            status = rule_status[rule_id][0]
            if status is True:
                askable.append(q)
            elif status is False:
                blocked.setdefault(rule_id, []).append(q.field)
            else:
                waiting.add(rule_id)
        gates: set[str] = set()
        for rule_id in waiting:
            rule, which = self._ask_rules[rule_id], rule_status[rule_id][1]
            gates.update(f for k in which for f in rule.reads_by_requirement[k] if f not in answers)
        first = [parts.questions[f] for f in sorted(gates, key=self._field_order.__getitem__)]
        cannot = [
            build(
                CannotAsk,
                {
                    "rule": rule_id,
                    "title": parts.ask_rule_titles[rule_id],
                    "reasons": [parts.ask_rule_reasons[rule_id][k] for k in rule_status[rule_id][1]],
                    "fields": fields,
                },
            )
            for rule_id, fields in blocked.items()
        ]
        if gates:
            askable = [q for q in askable if q.field not in gates]
        return first + askable, cannot


@renamed_keyword("set", "indicator_set")
def screen(
    encounter: Encounter | Mapping[str, Any],
    indicator_set: CompiledSet | str | Path | None = None,
    *,
    lang: str = "en",
    allow_draft: bool = False,
) -> ScreeningResult:
    """Screen one encounter with a set (default: the shipped default set).

    A set that is not active, compiled or named, is refused unless ``allow_draft`` is true (see
    :func:`~trafficscreen.content.loader.resolve_set`). Builds a :class:`Screener` each call; keep a Screener
    to screen many encounters. ``set=`` is the deprecated name of ``indicator_set=``.
    """
    compiled = resolve_set(indicator_set, allow_draft=allow_draft)
    return Screener(compiled, lang=lang, allow_draft=allow_draft).screen(encounter)


LEVEL_ORDER = LEVELS_IN_ORDER
