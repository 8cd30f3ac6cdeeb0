"""The engine's own words (not the content's) in every supported language.

Kept in one table so a missing translation is a test failure, not a surprise at run time.
"""

from __future__ import annotations

from .errors import UnsupportedLanguageError
from .model.common import LANGUAGES

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "level.none": "No indicators identified among the questions answered",
        "level.concern": "Concern: indicators of possible trafficking",
        "level.refer": "Refer: indicators meet the set's rule for a presumed child victim",
        "level.urgent": "Urgent: act now to keep the child safe",
        "notice": "Finding no indicators is not a negative result: it does not show that the child is "
        "not trafficked. Unanswered questions are unknown, not 'no'. This screen supports, and never "
        "replaces, clinical judgement and local safeguarding procedure.",
        "reason.met": "met: the condition holds on the answers given",
        "reason.not_met": "not met: the answers given rule it out",
        "reason.unknown": "unknown: depends on unanswered {fields}",
        "dim.present": "present: the rule '{rule}' holds",
        "dim.absent": "absent: the rule '{rule}' cannot hold even if the unknown indicators are met",
        "dim.unknown": "unknown: the rule '{rule}' depends on indicators not yet known",
        "why.level": "Reached '{title}': the set's rule for this level holds on the answers given.",
        "why.dimension": "Dimension present: {title}.",
        "why.red_flag": "Red flag: {text}",
        "why.none": "No indicator is met on the answers given.",
        "why.could_rise": "The answers still missing could raise this to '{level}'.",
        "why.settled": "No missing answer could raise this level.",
        "warn.draft": "This set is a draft for research comparison, not for clinical use.",
        "warn.retired": "This set is retired; use its successor for clinical screening.",
        "text.level": "Level",
        "text.could_rise": "Could still rise to",
        "text.answered": "Answered {answered} of {total} questions this set uses.",
        "text.why": "Why",
        "text.met": "Indicators met",
        "text.red_flags": "Red flags",
        "text.forms": "Possible forms of exploitation",
        "text.ask_next": "Ask next (answers that could raise the level)",
        "text.more": "... and {n} more (see the JSON output)",
        "text.cannot_ask": "Cannot be asked now (the facts stay unknown, never 'no')",
        "text.same_reason": "for the same reason",
        "text.worth_recording": (
            "{n} more unanswered questions cannot change the level but are worth recording for a referral "
            "(see the JSON output)."
        ),
        "text.source": "source",
        "text.sources": "Sources of the indicators met",
        "strength.strong": "strong",
        "strength.medium": "medium",
        "strength.weak": "weak",
        "text.unverified": "not verified against the original",
        "text.set": "Indicator set",
        "form.sexual_exploitation": "sexual exploitation",
        "form.labour": "labour exploitation",
        "form.domestic_servitude": "domestic servitude",
        "form.begging": "forced begging",
        "form.forced_criminality": "forced criminality",
        "form.forced_marriage": "forced marriage",
        "form.illegal_adoption": "illegal adoption or sale of a child",
        "form.organ_removal": "organ removal",
        "form.armed_groups": "use by armed groups",
    },
    "pt": {
        "level.none": "Nenhum indicador identificado nas perguntas respondidas",
        "level.concern": "Preocupação: indicadores de possível tráfico",
        "level.refer": "Referenciar: os indicadores cumprem a regra do conjunto para presumível criança vítima",
        "level.urgent": "Urgente: agir já para proteger a criança",
        "notice": "Não encontrar indicadores não é um resultado negativo: não mostra que a criança não "
        "é vítima de tráfico. Perguntas sem resposta são desconhecidas, não 'não'. Este rastreio apoia, "
        "e nunca substitui, o juízo clínico e os procedimentos locais de proteção da criança.",
        "reason.met": "cumprido: a condição verifica-se com as respostas dadas",
        "reason.not_met": "não cumprido: as respostas dadas excluem-no",
        "reason.unknown": "desconhecido: depende de {fields} sem resposta",
        "dim.present": "presente: a regra '{rule}' verifica-se",
        "dim.absent": "ausente: a regra '{rule}' não se pode verificar, mesmo que os indicadores "
        "desconhecidos se cumpram",
        "dim.unknown": "desconhecido: a regra '{rule}' depende de indicadores ainda desconhecidos",
        "why.level": "Atingiu '{title}': a regra do conjunto para este nível verifica-se com as respostas dadas.",
        "why.dimension": "Dimensão presente: {title}.",
        "why.red_flag": "Sinal de alarme: {text}",
        "why.none": "Nenhum indicador se cumpre com as respostas dadas.",
        "why.could_rise": "As respostas em falta podem ainda elevar o nível a '{level}'.",
        "why.settled": "Nenhuma resposta em falta pode elevar este nível.",
        "warn.draft": "Este conjunto é um rascunho para comparação em investigação, não para uso clínico.",
        "warn.retired": "Este conjunto foi retirado; use o seu sucessor no rastreio clínico.",
        "text.level": "Nível",
        "text.could_rise": "Pode ainda subir para",
        "text.answered": "Respondidas {answered} de {total} perguntas usadas por este conjunto.",
        "text.why": "Porquê",
        "text.met": "Indicadores cumpridos",
        "text.red_flags": "Sinais de alarme",
        "text.forms": "Formas de exploração possíveis",
        "text.ask_next": "Perguntar a seguir (respostas que podem elevar o nível)",
        "text.more": "... e mais {n} (ver a saída JSON)",
        "text.cannot_ask": "Não se pode perguntar agora (os factos ficam desconhecidos, nunca 'não')",
        "text.same_reason": "pelo mesmo motivo",
        "text.worth_recording": (
            "Mais {n} perguntas sem resposta não podem mudar o nível, mas vale a pena registá-las para uma "
            "referenciação (ver a saída JSON)."
        ),
        "text.source": "fonte",
        "text.sources": "Fontes dos indicadores cumpridos",
        "strength.strong": "forte",
        "strength.medium": "médio",
        "strength.weak": "fraco",
        "text.unverified": "não verificado no original",
        "text.set": "Conjunto de indicadores",
        "form.sexual_exploitation": "exploração sexual",
        "form.labour": "exploração laboral",
        "form.domestic_servitude": "servidão doméstica",
        "form.begging": "mendicidade forçada",
        "form.forced_criminality": "criminalidade forçada",
        "form.forced_marriage": "casamento forçado",
        "form.illegal_adoption": "adoção ilegal ou venda de criança",
        "form.organ_removal": "remoção de órgãos",
        "form.armed_groups": "utilização por grupos armados",
    },
    "nb": {
        "level.none": "Ingen indikatorer funnet blant spørsmålene som er besvart",
        "level.concern": "Bekymring: indikatorer på mulig menneskehandel",
        "level.refer": "Henvis: indikatorene oppfyller settets regel for antatt barneoffer",
        "level.urgent": "Haster: handle nå for å beskytte barnet",
        "notice": "At ingen indikatorer er funnet, er ikke et negativt resultat: det viser ikke at barnet "
        "ikke er utsatt for menneskehandel. Ubesvarte spørsmål er ukjente, ikke 'nei'. Denne "
        "screeningen støtter, og erstatter aldri, klinisk skjønn og lokale rutiner for barnevern.",
        "reason.met": "oppfylt: betingelsen holder med svarene som er gitt",
        "reason.not_met": "ikke oppfylt: svarene som er gitt utelukker den",
        "reason.unknown": "ukjent: avhenger av ubesvart {fields}",
        "dim.present": "til stede: regelen '{rule}' holder",
        "dim.absent": "fraværende: regelen '{rule}' kan ikke holde selv om de ukjente indikatorene oppfylles",
        "dim.unknown": "ukjent: regelen '{rule}' avhenger av indikatorer som ennå ikke er kjent",
        "why.level": "Nådde '{title}': settets regel for dette nivået holder med svarene som er gitt.",
        "why.dimension": "Dimensjon til stede: {title}.",
        "why.red_flag": "Alarmsignal: {text}",
        "why.none": "Ingen indikator er oppfylt med svarene som er gitt.",
        "why.could_rise": "Svarene som mangler kan fortsatt heve nivået til '{level}'.",
        "why.settled": "Ingen manglende svar kan heve dette nivået.",
        "warn.draft": "Dette settet er et utkast for forskningssammenligning, ikke for klinisk bruk.",
        "warn.retired": "Dette settet er trukket tilbake; bruk etterfølgeren til klinisk screening.",
        "text.level": "Nivå",
        "text.could_rise": "Kan fortsatt stige til",
        "text.answered": "Besvart {answered} av {total} spørsmål som settet bruker.",
        "text.why": "Hvorfor",
        "text.met": "Oppfylte indikatorer",
        "text.red_flags": "Alarmsignaler",
        "text.forms": "Mulige former for utnytting",
        "text.ask_next": "Spør videre om (svar som kan heve nivået)",
        "text.more": "... og {n} til (se JSON-utdata)",
        "text.cannot_ask": "Kan ikke spørres om nå (opplysningene er ukjente, aldri 'nei')",
        "text.same_reason": "av samme grunn",
        "text.worth_recording": (
            "{n} ubesvarte spørsmål til kan ikke endre nivået, men er verdt å dokumentere ved en henvisning "
            "(se JSON-utdata)."
        ),
        "text.source": "kilde",
        "text.sources": "Kilder for de oppfylte indikatorene",
        "strength.strong": "sterk",
        "strength.medium": "middels",
        "strength.weak": "svak",
        "text.unverified": "ikke kontrollert mot originalen",
        "text.set": "Indikatorsett",
        "form.sexual_exploitation": "seksuell utnytting",
        "form.labour": "arbeidsutnytting",
        "form.domestic_servitude": "tvangsarbeid i hjemmet",
        "form.begging": "tvungen tigging",
        "form.forced_criminality": "tvungen kriminalitet",
        "form.forced_marriage": "tvangsekteskap",
        "form.illegal_adoption": "ulovlig adopsjon eller salg av barn",
        "form.organ_removal": "fjerning av organer",
        "form.armed_groups": "bruk av væpnede grupper",
    },
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if content and messages are written in it; otherwise raise
    :class:`UnsupportedLanguageError` naming the supported ones (the value is cut short and quoted, so
    the message stays one line)."""
    if lang not in LANGUAGES:
        raise UnsupportedLanguageError(
            f"language {str(lang)[:20]!r} is not supported; choose one of {', '.join(LANGUAGES)}"
        )
    return lang


def msg(lang: str, key: str, **kwargs: str) -> str:
    try:
        table = MESSAGES[lang]
    except (KeyError, TypeError):
        check_lang(lang)
        raise
    text = table[key]
    return text.format(**kwargs) if kwargs else text
