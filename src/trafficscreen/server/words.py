"""The form's and the cards' own words in every supported language (the questions come from the data
dictionary, the level texts from the engine, the guidance from the referral messages)."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Child trafficking screening",
        "confidential": "Confidential. Do not show this screen to the adult who came with the child.",
        "intro": "Answer what you know. A question left at 'not asked' is unknown, not 'no'. Ask the child "
        "alone, with a professional interpreter where needed, never through the companion.",
        "language": "Language",
        "group.record": "From the record",
        "group.clinician": "What you observe",
        "group.companion": "Ask the accompanying adult",
        "group.child": "Ask the child, alone",
        "yes": "Yes",
        "no": "No",
        "not_asked": "Not asked",
        "none_of_these": "None of these",
        "choose": "Not asked",
        "range": "from {min} to {max}",
        "sensitive": "sensitive answer: record only what is essential",
        "submit": "Screen and show guidance",
        "clear": "Start a new form",
        "result": "Result",
        "set_level": "Level in the indicator set",
        "why": "Why",
        "ask_next": "What to ask next",
        "ask_next.none": "No unanswered question could raise the level.",
        "guidance": "Referral guidance",
        "live": "Level so far",
        "live.hint": "The level updates as you answer. Submit the form to see the reasons and the guidance.",
        "errors": "Some answers could not be used",
        "err.number": "enter a number",
        "err.whole": "enter a whole number",
        "err.range": "enter a number from {min} to {max}",
        "err.date": "enter a date as YYYY-MM-DD",
        "err.choice": "choose one of the listed answers",
        "err.none_and_some": "choose either 'None of these' or some of the answers, not both",
        "dev": "Development mode: authentication is off. Do not use with real patients.",
        "card.summary.missing": "Trafficking screen: no triage form on file. Open the form to screen.",
        "card.summary.unreadable": "Trafficking screen: the latest triage form could not be read.",
        "card.detail.missing": "No answered triage form was found for this patient. Open the form to "
        "screen; questions not asked are unknown, not 'no'.",
        "card.detail.unreadable": "The latest triage form could not be used: {problem}. Open the form "
        "to screen again.",
        "card.link": "Open the trafficking screening form",
        "card.source": "trafficscreen: {title} ({set})",
    },
    "pt": {
        "title": "Rastreio de tráfico de crianças",
        "confidential": "Confidencial. Não mostre este ecrã ao adulto que acompanha a criança.",
        "intro": "Responda ao que sabe. Uma pergunta deixada em 'não perguntado' é desconhecida, não 'não'. "
        "Pergunte à criança a sós, com um intérprete profissional se for preciso, nunca através do "
        "acompanhante.",
        "language": "Idioma",
        "group.record": "Do processo clínico",
        "group.clinician": "O que observa",
        "group.companion": "Perguntar ao adulto acompanhante",
        "group.child": "Perguntar à criança, a sós",
        "yes": "Sim",
        "no": "Não",
        "not_asked": "Não perguntado",
        "none_of_these": "Nenhuma destas",
        "choose": "Não perguntado",
        "range": "de {min} a {max}",
        "sensitive": "resposta sensível: registe só o essencial",
        "submit": "Rastrear e mostrar orientação",
        "clear": "Começar um formulário novo",
        "result": "Resultado",
        "set_level": "Nível no conjunto de indicadores",
        "why": "Porquê",
        "ask_next": "O que perguntar a seguir",
        "ask_next.none": "Nenhuma pergunta sem resposta pode elevar o nível.",
        "guidance": "Orientação para referenciação",
        "live": "Nível até agora",
        "live.hint": "O nível é atualizado à medida que responde. Envie o formulário para ver as razões e a "
        "orientação.",
        "errors": "Algumas respostas não puderam ser usadas",
        "err.number": "escreva um número",
        "err.whole": "escreva um número inteiro",
        "err.range": "escreva um número de {min} a {max}",
        "err.date": "escreva uma data no formato AAAA-MM-DD",
        "err.choice": "escolha uma das respostas da lista",
        "err.none_and_some": "escolha 'Nenhuma destas' ou algumas respostas, não ambas",
        "dev": "Modo de desenvolvimento: a autenticação está desligada. Não use com doentes reais.",
        "card.summary.missing": "Rastreio de tráfico: sem formulário de triagem. Abra o formulário para "
        "rastrear.",
        "card.summary.unreadable": "Rastreio de tráfico: o último formulário de triagem não pôde ser lido.",
        "card.detail.missing": "Não foi encontrado um formulário de triagem respondido para este doente. "
        "Abra o formulário para rastrear; perguntas não feitas são desconhecidas, não 'não'.",
        "card.detail.unreadable": "O último formulário de triagem não pôde ser usado: {problem}. Abra o "
        "formulário para rastrear de novo.",
        "card.link": "Abrir o formulário de rastreio de tráfico",
        "card.source": "trafficscreen: {title} ({set})",
    },
    "nb": {
        "title": "Screening for menneskehandel med barn",
        "confidential": "Fortrolig. Ikke vis denne skjermen til den voksne som følger barnet.",
        "intro": "Svar på det du vet. Et spørsmål som står på 'ikke spurt', er ukjent, ikke 'nei'. Snakk "
        "med barnet alene, med kvalifisert tolk ved behov, aldri gjennom følgepersonen.",
        "language": "Språk",
        "group.record": "Fra journalen",
        "group.clinician": "Det du observerer",
        "group.companion": "Spør den voksne som følger barnet",
        "group.child": "Spør barnet, alene",
        "yes": "Ja",
        "no": "Nei",
        "not_asked": "Ikke spurt",
        "none_of_these": "Ingen av disse",
        "choose": "Ikke spurt",
        "range": "fra {min} til {max}",
        "sensitive": "sensitivt svar: dokumenter bare det som er nødvendig",
        "submit": "Screen og vis veiledning",
        "clear": "Start et nytt skjema",
        "result": "Resultat",
        "set_level": "Nivå i indikatorsettet",
        "why": "Hvorfor",
        "ask_next": "Hva du spør om videre",
        "ask_next.none": "Ingen ubesvarte spørsmål kan heve nivået.",
        "guidance": "Henvisningsveiledning",
        "live": "Nivå så langt",
        "live.hint": "Nivået oppdateres mens du svarer. Send inn skjemaet for å se begrunnelsen og "
        "veiledningen.",
        "errors": "Noen svar kunne ikke brukes",
        "err.number": "skriv et tall",
        "err.whole": "skriv et helt tall",
        "err.range": "skriv et tall fra {min} til {max}",
        "err.date": "skriv en dato som ÅÅÅÅ-MM-DD",
        "err.choice": "velg et av svarene i listen",
        "err.none_and_some": "velg enten 'Ingen av disse' eller noen av svarene, ikke begge",
        "dev": "Utviklingsmodus: autentisering er slått av. Må ikke brukes med ekte pasienter.",
        "card.summary.missing": "Screening for menneskehandel: ikke noe triageskjema. Åpne skjemaet for å "
        "screene.",
        "card.summary.unreadable": "Screening for menneskehandel: det siste triageskjemaet kunne ikke leses.",
        "card.detail.missing": "Fant ikke noe besvart triageskjema for denne pasienten. Åpne skjemaet for "
        "å screene; spørsmål som ikke er stilt, er ukjente, ikke 'nei'.",
        "card.detail.unreadable": "Det siste triageskjemaet kunne ikke brukes: {problem}. Åpne skjemaet for "
        "å screene på nytt.",
        "card.link": "Åpne skjemaet for screening for menneskehandel",
        "card.source": "trafficscreen: {title} ({set})",
    },
}


def word(lang: str, key: str, **values: str) -> str:
    text = WORDS[lang][key]
    return text.format(**values) if values else text
