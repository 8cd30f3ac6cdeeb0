"""The library's own words (not the content's) in every supported language: the one message catalogue.

One table, keyed by language and then by message key, so a missing translation is a test failure, not a
surprise at run time. Each area has its own key prefix:

* no prefix (``level.``, ``reason.``, ``text.``, ``form.`` ...): the engine, the text renderer and the CLI;
  ``form.*`` names the forms of exploitation;
* ``server.``: the triage form and the CDS cards (:mod:`trafficscreen.server`);
* ``fhir.``: the FHIR resources (:mod:`trafficscreen.fhir`), and ``fhir.adaptive.`` the SDC
  ``$next-question`` operation.

Every module reads its words through :func:`msg`. A placeholder (``{level}``) holds words, names or
counts, never an answer.
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
        "text.could_lead_to": "could lead to {level}",
        "scale.concern": "concern",
        "scale.refer": "refer",
        "scale.urgent": "urgent",
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
        # the form and the CDS cards (trafficscreen.server)
        "server.title": "Child trafficking screening",
        "server.confidential": "Confidential. Do not show this screen to the adult who came with the child.",
        "server.intro": "Ask only the questions shown: they are the ones whose answer could still change the level, "
        "most important first. A question you cannot ask stays unknown, never 'no'. Ask the child alone, with a "
        "professional interpreter where needed, never through the companion.",
        "server.language": "Language",
        "server.group.record": "From the record",
        "server.group.clinician": "What you observe",
        "server.group.companion": "Ask the accompanying adult",
        "server.group.child": "Ask the child, alone",
        "server.yes": "Yes",
        "server.no": "No",
        "server.none_of_these": "None of these",
        "server.choose": "Choose an answer",
        "server.range": "from {min} to {max}",
        "server.sensitive": "sensitive answer: record only what is essential",
        "server.clear": "Start a new interview",
        "server.result": "Result",
        "server.set_level": "Level in the indicator set",
        "server.why": "Why",
        "server.ask_next": "What to ask next",
        "server.ask_next.none": "No unanswered question could raise the level.",
        "server.ask_next.more": "{n} more questions that could raise the level",
        "server.guidance": "Referral guidance",
        "server.live": "Level so far",
        "server.errors": "Some answers could not be used",
        "server.err.number": "enter a number",
        "server.err.whole": "enter a whole number",
        "server.err.range": "enter a number from {min} to {max}",
        "server.err.date": "enter a date as YYYY-MM-DD",
        "server.err.choice": "choose one of the listed answers",
        "server.err.none_and_some": "choose either 'None of these' or some of the answers, not both",
        "server.dev": "Development mode: authentication is off. Do not use with real patients.",
        "server.card.summary.missing": "Trafficking screen: no triage form on file. Open the form to screen.",
        "server.card.summary.unreadable": "Trafficking screen: the latest triage form could not be read.",
        "server.card.detail.missing": "No answered triage form was found for this patient. Open the form to screen; "
        "questions not asked are unknown, not 'no'.",
        "server.card.detail.unreadable": "The latest triage form could not be used: {problem}. Open the form to "
        "screen again.",
        "server.card.link": "Open the trafficking screening form",
        "server.card.source": "trafficscreen: {title} ({set})",
        "server.cannot_ask": "Cannot ask",
        "server.step.start": "Start: the child's age and who is present",
        "server.step.start.hint": "These answers decide which questions can be put to the child. Answer what you know.",
        "server.step.next": "Next questions",
        "server.step.next.hint": "Only the questions whose answer could still change the level, most important first. "
        "A question left blank comes back later; 'Cannot ask' leaves it unknown and it is not shown again.",
        "server.next": "Show the next questions",
        "server.stop": "Stop here: show the result and guidance",
        "server.live.rise": "It could still rise to: {level}",
        "server.settled": "No further answer can change the level.",
        "server.exhausted": "No question that could change the level can be asked now. The questions left stay "
        "unknown.",
        "server.answers": "Answers so far",
        "server.answers.hint": "Change an answer here; the next questions are worked out again.",
        "server.change": "Change",
        "server.skipped.value": "Cannot ask: stays unknown",
        "server.cannot.heading": "Cannot be asked now",
        "server.cannot.intro": "These questions could matter, but no one present can be asked them now. Their answers "
        "stay unknown, never 'no'. Do this instead:",
        "server.language.switch": "Continue in another language",
        "server.err.cannot_and_answer": "choose either an answer or 'Cannot ask', not both",
        # FHIR resources (trafficscreen.fhir); their strength words are strength.* above
        "fhir.screen": "Screen for indicators of child trafficking",
        "fhir.outcome": "Trafficking of the child (indicators, not a finding)",
        "fhir.flag.refer": "Safeguarding review needed: see the restricted screening record",
        "fhir.flag.urgent": "Urgent safeguarding review needed: see the restricted screening record",
        "fhir.dimension": "Dimension",
        "fhir.strength": "Strength",
        "fhir.red_flag": "Red flag",
        "fhir.highest_possible": "Highest level still possible",
        "fhir.answered": "Questions answered",
        "fhir.asked": "Questions the set uses",
        "fhir.settled": "No missing answer could raise the level",
        "fhir.group.record": "From the record",
        "fhir.group.clinician": "Observed or asked by the clinician",
        "fhir.group.companion": "Asked of the accompanying adult",
        "fhir.group.child": "Asked of the child, seen alone, with a professional interpreter if needed "
        "(never through the companion)",
        "fhir.intro": "Leave a question unanswered if it was not asked: a missing answer counts as unknown, "
        "never as 'no'. Finding no indicators is not a negative result.",
        "fhir.none_of_these": "None of these",
        # SDC $next-question (trafficscreen.fhir.adaptive): who answers, and why no question was added
        "fhir.adaptive.record": "Record",
        "fhir.adaptive.clinician": "Clinician",
        "fhir.adaptive.companion": "Companion",
        "fhir.adaptive.child": "Child",
        "fhir.adaptive.settled": "No further questions: no answer still missing can change the level reached "
        "({level}).",
        "fhir.adaptive.nothing-askable": "No further questions: none of the questions that could still change the "
        "level ({level} so far, could rise to {highest}) can be put to anyone present now. Their facts stay unknown, "
        "never 'no'.",
        "fhir.adaptive.all-offered": "No further questions: every question that could still change the level has been "
        "offered. Those left unanswered stay unknown, never 'no'; the level so far is {level} and could still rise to "
        "{highest}.",
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
        "text.could_lead_to": "pode levar a {level}",
        "scale.concern": "preocupação",
        "scale.refer": "referenciar",
        "scale.urgent": "urgente",
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
        # the form and the CDS cards (trafficscreen.server)
        "server.title": "Rastreio de tráfico de crianças",
        "server.confidential": "Confidencial. Não mostre este ecrã ao adulto que acompanha a criança.",
        "server.intro": "Faça só as perguntas mostradas: são aquelas cuja resposta ainda pode mudar o nível, as mais "
        "importantes primeiro. Uma pergunta que não pode fazer fica desconhecida, nunca 'não'. Pergunte à "
        "criança a sós, com um intérprete profissional se for preciso, nunca através do acompanhante.",
        "server.language": "Idioma",
        "server.group.record": "Do processo clínico",
        "server.group.clinician": "O que observa",
        "server.group.companion": "Perguntar ao adulto acompanhante",
        "server.group.child": "Perguntar à criança, a sós",
        "server.yes": "Sim",
        "server.no": "Não",
        "server.none_of_these": "Nenhuma destas",
        "server.choose": "Escolha uma resposta",
        "server.range": "de {min} a {max}",
        "server.sensitive": "resposta sensível: registe só o essencial",
        "server.clear": "Começar uma nova entrevista",
        "server.result": "Resultado",
        "server.set_level": "Nível no conjunto de indicadores",
        "server.why": "Porquê",
        "server.ask_next": "O que perguntar a seguir",
        "server.ask_next.none": "Nenhuma pergunta sem resposta pode elevar o nível.",
        "server.ask_next.more": "Mais {n} perguntas que podem elevar o nível",
        "server.guidance": "Orientação para referenciação",
        "server.live": "Nível até agora",
        "server.errors": "Algumas respostas não puderam ser usadas",
        "server.err.number": "escreva um número",
        "server.err.whole": "escreva um número inteiro",
        "server.err.range": "escreva um número de {min} a {max}",
        "server.err.date": "escreva uma data no formato AAAA-MM-DD",
        "server.err.choice": "escolha uma das respostas da lista",
        "server.err.none_and_some": "escolha 'Nenhuma destas' ou algumas respostas, não ambas",
        "server.dev": "Modo de desenvolvimento: a autenticação está desligada. Não use com doentes reais.",
        "server.card.summary.missing": "Rastreio de tráfico: sem formulário de triagem. Abra o formulário para "
        "rastrear.",
        "server.card.summary.unreadable": "Rastreio de tráfico: o último formulário de triagem não pôde ser lido.",
        "server.card.detail.missing": "Não foi encontrado um formulário de triagem respondido para este doente. Abra o "
        "formulário para rastrear; perguntas não feitas são desconhecidas, não 'não'.",
        "server.card.detail.unreadable": "O último formulário de triagem não pôde ser usado: {problem}. Abra o "
        "formulário para rastrear de novo.",
        "server.card.link": "Abrir o formulário de rastreio de tráfico",
        "server.card.source": "trafficscreen: {title} ({set})",
        "server.cannot_ask": "Não é possível perguntar",
        "server.step.start": "Início: a idade da criança e quem está presente",
        "server.step.start.hint": "Estas respostas decidem que perguntas se podem fazer à criança. Responda ao que "
        "sabe.",
        "server.step.next": "Próximas perguntas",
        "server.step.next.hint": "Só as perguntas cuja resposta ainda pode mudar o nível, as mais importantes "
        "primeiro. Uma pergunta deixada em branco volta mais tarde; 'Não é possível perguntar' deixa-a desconhecida e "
        "ela não volta a aparecer.",
        "server.next": "Mostrar as próximas perguntas",
        "server.stop": "Parar aqui: mostrar o resultado e a orientação",
        "server.live.rise": "Ainda pode subir para: {level}",
        "server.settled": "Nenhuma outra resposta pode mudar o nível.",
        "server.exhausted": "Nenhuma pergunta que possa mudar o nível pode ser feita agora. As perguntas que faltam "
        "ficam desconhecidas.",
        "server.answers": "Respostas dadas",
        "server.answers.hint": "Altere aqui uma resposta; as próximas perguntas são calculadas de novo.",
        "server.change": "Alterar",
        "server.skipped.value": "Não foi possível perguntar: fica desconhecida",
        "server.cannot.heading": "Não se pode perguntar agora",
        "server.cannot.intro": "Estas perguntas podem importar, mas agora ninguém presente as pode responder. As "
        "respostas ficam desconhecidas, nunca 'não'. Em vez disso:",
        "server.language.switch": "Continuar noutro idioma",
        "server.err.cannot_and_answer": "escolha uma resposta ou 'Não é possível perguntar', não ambas",
        # FHIR resources (trafficscreen.fhir); their strength words are strength.* above
        "fhir.screen": "Rastreio de indicadores de tráfico de crianças",
        "fhir.outcome": "Tráfico da criança (indicadores, não uma conclusão)",
        "fhir.flag.refer": "Necessária avaliação de proteção da criança: ver o registo de rastreio de acesso restrito",
        "fhir.flag.urgent": "Avaliação urgente de proteção da criança: ver o registo de rastreio de acesso restrito",
        "fhir.dimension": "Dimensão",
        "fhir.strength": "Força",
        "fhir.red_flag": "Sinal de alarme",
        "fhir.highest_possible": "Nível mais alto ainda possível",
        "fhir.answered": "Perguntas respondidas",
        "fhir.asked": "Perguntas que o conjunto usa",
        "fhir.settled": "Nenhuma resposta em falta pode elevar o nível",
        "fhir.group.record": "Do processo clínico",
        "fhir.group.clinician": "Observado ou perguntado pelo profissional de saúde",
        "fhir.group.companion": "Perguntado ao adulto acompanhante",
        "fhir.group.child": "Perguntado à criança, vista a sós, com intérprete profissional se necessário "
        "(nunca através do acompanhante)",
        "fhir.intro": "Deixe sem resposta uma pergunta que não foi feita: uma resposta em falta conta como "
        "desconhecida, nunca como 'não'. Não encontrar indicadores não é um resultado negativo.",
        "fhir.none_of_these": "Nenhuma destas",
        # SDC $next-question (trafficscreen.fhir.adaptive): who answers, and why no question was added
        "fhir.adaptive.record": "Processo",
        "fhir.adaptive.clinician": "Profissional",
        "fhir.adaptive.companion": "Acompanhante",
        "fhir.adaptive.child": "Criança",
        "fhir.adaptive.settled": "Não há mais perguntas: nenhuma resposta em falta pode alterar o nível alcançado "
        "({level}).",
        "fhir.adaptive.nothing-askable": "Não há mais perguntas: nenhuma das perguntas que ainda podem alterar o nível "
        "({level} até agora, pode subir a {highest}) pode ser feita a quem está presente "
        "neste momento. Esses factos ficam desconhecidos, nunca 'não'.",
        "fhir.adaptive.all-offered": "Não há mais perguntas: já foram apresentadas todas as perguntas que ainda podem "
        "alterar o nível. As que ficaram sem resposta contam como desconhecidas, nunca como "
        "'não'; o nível até agora é {level} e pode ainda subir a {highest}.",
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
        "text.could_lead_to": "kan føre til {level}",
        "scale.concern": "bekymring",
        "scale.refer": "henvis",
        "scale.urgent": "haster",
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
        # the form and the CDS cards (trafficscreen.server)
        "server.title": "Screening for menneskehandel med barn",
        "server.confidential": "Fortrolig. Ikke vis denne skjermen til den voksne som følger barnet.",
        "server.intro": "Still bare spørsmålene som vises: det er de der svaret fortsatt kan endre nivået, de "
        "viktigste først. Et spørsmål du ikke kan stille, forblir ukjent, aldri 'nei'. Snakk med barnet alene, med "
        "kvalifisert tolk ved behov, aldri gjennom følgepersonen.",
        "server.language": "Språk",
        "server.group.record": "Fra journalen",
        "server.group.clinician": "Det du observerer",
        "server.group.companion": "Spør den voksne som følger barnet",
        "server.group.child": "Spør barnet, alene",
        "server.yes": "Ja",
        "server.no": "Nei",
        "server.none_of_these": "Ingen av disse",
        "server.choose": "Velg et svar",
        "server.range": "fra {min} til {max}",
        "server.sensitive": "sensitivt svar: dokumenter bare det som er nødvendig",
        "server.clear": "Start et nytt intervju",
        "server.result": "Resultat",
        "server.set_level": "Nivå i indikatorsettet",
        "server.why": "Hvorfor",
        "server.ask_next": "Hva du spør om videre",
        "server.ask_next.none": "Ingen ubesvarte spørsmål kan heve nivået.",
        "server.ask_next.more": "{n} spørsmål til som kan heve nivået",
        "server.guidance": "Henvisningsveiledning",
        "server.live": "Nivå så langt",
        "server.errors": "Noen svar kunne ikke brukes",
        "server.err.number": "skriv et tall",
        "server.err.whole": "skriv et helt tall",
        "server.err.range": "skriv et tall fra {min} til {max}",
        "server.err.date": "skriv en dato som ÅÅÅÅ-MM-DD",
        "server.err.choice": "velg et av svarene i listen",
        "server.err.none_and_some": "velg enten 'Ingen av disse' eller noen av svarene, ikke begge",
        "server.dev": "Utviklingsmodus: autentisering er slått av. Må ikke brukes med ekte pasienter.",
        "server.card.summary.missing": "Screening for menneskehandel: ikke noe triageskjema. Åpne skjemaet for å "
        "screene.",
        "server.card.summary.unreadable": "Screening for menneskehandel: det siste triageskjemaet kunne ikke leses.",
        "server.card.detail.missing": "Fant ikke noe besvart triageskjema for denne pasienten. Åpne skjemaet for å "
        "screene; spørsmål som ikke er stilt, er ukjente, ikke 'nei'.",
        "server.card.detail.unreadable": "Det siste triageskjemaet kunne ikke brukes: {problem}. Åpne skjemaet for å "
        "screene på nytt.",
        "server.card.link": "Åpne skjemaet for screening for menneskehandel",
        "server.card.source": "trafficscreen: {title} ({set})",
        "server.cannot_ask": "Kan ikke spørre",
        "server.step.start": "Start: barnets alder og hvem som er til stede",
        "server.step.start.hint": "Disse svarene avgjør hvilke spørsmål som kan stilles til barnet. Svar på det du "
        "vet.",
        "server.step.next": "Neste spørsmål",
        "server.step.next.hint": "Bare spørsmål der svaret fortsatt kan endre nivået, de viktigste først. Et spørsmål "
        "som står tomt, kommer tilbake senere; 'Kan ikke spørre' lar det være ukjent, og det vises ikke igjen.",
        "server.next": "Vis neste spørsmål",
        "server.stop": "Stopp her: vis resultat og veiledning",
        "server.live.rise": "Det kan fortsatt stige til: {level}",
        "server.settled": "Ingen flere svar kan endre nivået.",
        "server.exhausted": "Ingen spørsmål som kan endre nivået, kan stilles nå. Spørsmålene som gjenstår, forblir "
        "ukjente.",
        "server.answers": "Svar så langt",
        "server.answers.hint": "Endre et svar her; neste spørsmål regnes ut på nytt.",
        "server.change": "Endre",
        "server.skipped.value": "Kan ikke spørre: forblir ukjent",
        "server.cannot.heading": "Kan ikke spørres nå",
        "server.cannot.intro": "Disse spørsmålene kan ha betydning, men ingen som er til stede, kan spørres om dem nå. "
        "Svarene forblir ukjente, aldri 'nei'. Gjør dette i stedet:",
        "server.language.switch": "Fortsett på et annet språk",
        "server.err.cannot_and_answer": "velg enten et svar eller 'Kan ikke spørre', ikke begge",
        # FHIR resources (trafficscreen.fhir); their strength words are strength.* above
        "fhir.screen": "Screening for indikatorer på menneskehandel med barn",
        "fhir.outcome": "Menneskehandel med barnet (indikatorer, ikke et funn)",
        "fhir.flag.refer": "Vurdering av barnets beskyttelse trengs: se det skjermede screeningnotatet",
        "fhir.flag.urgent": "Haster: vurdering av barnets beskyttelse trengs nå: se det skjermede screeningnotatet",
        "fhir.dimension": "Dimensjon",
        "fhir.strength": "Styrke",
        "fhir.red_flag": "Varseltegn",
        "fhir.highest_possible": "Høyeste nivå som fortsatt er mulig",
        "fhir.answered": "Besvarte spørsmål",
        "fhir.asked": "Spørsmål settet bruker",
        "fhir.settled": "Ingen manglende svar kan heve nivået",
        "fhir.group.record": "Fra journalen",
        "fhir.group.clinician": "Observert eller spurt av helsepersonellet",
        "fhir.group.companion": "Spurt til den voksne som følger barnet",
        "fhir.group.child": "Spurt til barnet alene, med profesjonell tolk ved behov (aldri gjennom følgepersonen)",
        "fhir.intro": "La et spørsmål stå ubesvart hvis det ikke ble stilt: et manglende svar regnes som "
        "ukjent, aldri som 'nei'. Å ikke finne indikatorer er ikke et negativt resultat.",
        "fhir.none_of_these": "Ingen av disse",
        # SDC $next-question (trafficscreen.fhir.adaptive): who answers, and why no question was added
        "fhir.adaptive.record": "Journal",
        "fhir.adaptive.clinician": "Kliniker",
        "fhir.adaptive.companion": "Ledsager",
        "fhir.adaptive.child": "Barnet",
        "fhir.adaptive.settled": "Ingen flere spørsmål: ingen av svarene som mangler, kan endre nivået som er nådd "
        "({level}).",
        "fhir.adaptive.nothing-askable": "Ingen flere spørsmål: ingen av spørsmålene som fortsatt kan endre nivået "
        "({level} så langt, kan stige til {highest}), kan stilles til noen som er til "
        "stede nå. Disse faktaene forblir ukjente, aldri 'nei'.",
        "fhir.adaptive.all-offered": "Ingen flere spørsmål: alle spørsmål som fortsatt kan endre nivået, er stilt. De "
        "som står ubesvart, regnes som ukjente, aldri som 'nei'; nivået så langt er {level}, og det kan fortsatt "
        "stige til {highest}.",
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
