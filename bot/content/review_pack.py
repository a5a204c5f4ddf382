"""``haki content review-pack --lang zu``: everything a reviewer needs, in one file they can open
offline, plus a PDF to print.

For each text: its key and kind, the text in the reviewed language, the English source, the
fact-sheet items it relies on, its sources with links, a back-translation field, tick boxes
(law, translation, back-translation, approve) and a comment. The HTML is self-contained (no
network: the reviewer may be on a phone in an advice office); its "Save my review" button
writes the JSON file that ``haki content sign-off FILE`` records. The PDF carries the same
texts with empty boxes and lines, for reviewers who prefer paper: an editor then fills the
HTML from it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass
from pathlib import Path

from bot.content.catalogs import SOURCE_LANGUAGE
from bot.content.reviews import SIGNOFF_FORMAT, ReviewReport, ReviewState, all_facts
from bot.content.schema import REVIEW_CHECKS, REVIEW_ROLES, ContentSet

KIND_LABELS = {"title": "menu label", "sms": "SMS answer", "full": "Telegram answer",
               "system": "system text", "source": "source name", "contact": "contact as it reads"}


@dataclass(frozen=True)
class PackSource:
    name: str
    link: str


@dataclass(frozen=True)
class PackFact:
    id: str
    section: str
    says: str
    status: str


@dataclass(frozen=True)
class PackItem:
    key: str
    kind: str
    text: str
    english: str
    status: str
    reason: str
    fingerprint: str
    facts: tuple[PackFact, ...]
    sources: tuple[PackSource, ...]


@dataclass(frozen=True)
class Pack:
    language: str
    made: dt.date
    fact_sheet: str
    items: tuple[PackItem, ...]


def build_pack(content: ContentSet, report: ReviewReport, language: str, *,
               only_unreviewed: bool = False) -> Pack:
    facts = all_facts(content)
    sheet = next((str(ns.directory / "facts.yml") for ns in content.jurisdictions.values() if ns.facts), "")
    items = []
    for state in report.states:
        if state.language != language or not state.text:
            continue
        if only_unreviewed and state.status == "reviewed":
            continue
        items.append(PackItem(
            key=state.unit.key, kind=KIND_LABELS.get(state.unit.role, state.unit.role), text=state.text,
            english=state.unit.english, status=state.status, reason=state.reason,
            fingerprint=state.fingerprint,
            facts=tuple(PackFact(f, facts[f].section, facts[f].says, facts[f].status)
                        for f in state.unit.facts if f in facts),
            sources=_sources(content, state)))
    return Pack(language=language, made=dt.date.today(), fact_sheet=sheet, items=tuple(items))


def _sources(content: ContentSet, state: ReviewState) -> tuple[PackSource, ...]:
    namespace = content.jurisdictions.get(state.unit.namespace)
    if namespace is None:
        return ()
    found = []
    for source_id in state.unit.sources:
        source = namespace.sources.get(source_id)
        if source is not None:
            found.append(PackSource(source.full, source.link))
    return tuple(found)


# --- HTML -------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem;line-height:1.4}
.item{border:1px solid #999;border-radius:.4rem;padding:.8rem;margin:1rem 0}
.key{font-family:monospace;color:#444}.status-draft{color:#a60}.status-stale{color:#b00}
.status-reviewed{color:#070}pre{white-space:pre-wrap;background:#f4f4f4;padding:.5rem;margin:.3rem 0}
textarea{width:100%;min-height:4rem}label{margin-right:1rem;display:inline-block}
.who{background:#eef;padding:.8rem;border-radius:.4rem}.warn{color:#b00}
"""

_JS = """
function collect(){
  var who={name:document.getElementById('name').value.trim(),
           role:document.getElementById('role').value};
  if(!who.name){alert('Please write your name: a review is signed by a person.');return null;}
  var texts=[];
  document.querySelectorAll('.item').forEach(function(el){
    var checks=[];
    el.querySelectorAll('input.check:checked').forEach(function(c){checks.push(c.value);});
    texts.push({key:el.dataset.key,fingerprint:el.dataset.fingerprint,checks:checks,
      approved:el.querySelector('input.approve').checked,
      back_translation:el.querySelector('textarea.back').value,
      comment:el.querySelector('textarea.comment').value});
  });
  return {format:FORMAT,language:LANGUAGE,date:document.getElementById('date').value,
          reviewer:who,texts:texts};
}
function save(){
  var data=collect(); if(!data){return;}
  var blob=new Blob([JSON.stringify(data,null,1)],{type:'application/json'});
  var a=document.createElement('a'); a.href=URL.createObjectURL(blob);
  a.download='haki-review-'+LANGUAGE+'-'+data.date+'-'+data.reviewer.name.replace(/[^A-Za-z0-9]+/g,'-')+'.json';
  document.body.appendChild(a); a.click(); a.remove();
}
"""


def render_html(pack: Pack) -> str:
    e = html.escape
    roles = "".join(f'<option value="{e(r)}">{e(r)}</option>' for r in REVIEW_ROLES)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>Haki review pack: {e(pack.language)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Haki review pack: {e(pack.language)}</h1>",
        (f"<p>Made on {pack.made.isoformat()}. {len(pack.items)} texts. For each text: read it, compare "
         "it with the English and the facts it relies on, write a back-translation into English if "
         "you are checking a translation, tick what you checked, and tick <b>Approve</b> only if it is "
         "right. Then press <b>Save my review</b> at the bottom and send the file to the content team "
         "(they run <code>haki content sign-off FILE</code>). Nothing is sent anywhere by this page.</p>"),
        "<div class='who'><label>Your name <input id='name' required></label>",
        f"<label>Your role <select id='role'>{roles}</select></label>",
        f"<label>Date <input id='date' type='date' value='{pack.made.isoformat()}'></label>",
        ("<p>A law check needs a lawyer or paralegal; a native speaker checks translation and "
         "back-translation.</p></div>"),
    ]
    for number, item in enumerate(pack.items, 1):
        parts.append(f"<div class='item' data-key='{e(item.key)}' data-fingerprint='{e(item.fingerprint)}'>")
        parts.append(f"<h2>{number}. {e(item.kind)} <span class='key'>{e(item.key)}</span></h2>")
        parts.append(f"<p class='status-{e(item.status)}'>Status now: {e(item.status)} ({e(item.reason)})</p>")
        parts.append(f"<h3>Text ({e(pack.language)})</h3><pre>{e(item.text)}</pre>")
        if pack.language != SOURCE_LANGUAGE:
            parts.append(f"<h3>English source</h3><pre>{e(item.english)}</pre>")
        if item.facts:
            parts.append("<h3>Facts it relies on</h3><ul>")
            for fact in item.facts:
                warn = {"unconfirmed": " <b class='warn'>(unconfirmed: must not be stated as fact)</b>",
                        "to-confirm": " <b class='warn'>(not in the fact sheet: please confirm the law)</b>"
                        }.get(fact.status, "")
                parts.append(f"<li><b>{e(fact.id)}</b> (fact sheet section {e(fact.section)}){warn}: {e(fact.says)}</li>")
            parts.append("</ul>")
        if item.sources:
            parts.append("<h3>Sources</h3><ul>")
            for source in item.sources:
                link = f" <a href='{e(source.link)}'>{e(source.link)}</a>" if source.link else ""
                parts.append(f"<li>{e(source.name)}{link}</li>")
            parts.append("</ul>")
        parts.append("<h3>Back-translation into English</h3><textarea class='back'></textarea>")
        boxes = "".join(f"<label><input type='checkbox' class='check' value='{e(c)}'> {e(c)} checked</label>"
                        for c in REVIEW_CHECKS)
        parts.append(f"<p>{boxes}<label><input type='checkbox' class='approve'> <b>Approve</b></label></p>")
        parts.append("<h3>Comment (what is wrong, or a better wording)</h3><textarea class='comment'></textarea>")
        parts.append("</div>")
    parts.append("<p><button onclick='save()'>Save my review</button></p>")
    parts.append(f"<script>var FORMAT={json.dumps(SIGNOFF_FORMAT)};var LANGUAGE={json.dumps(pack.language)};"
                 f"{_JS}</script></body></html>")
    return "\n".join(parts)


def write_html(pack: Pack, path: Path) -> None:
    path.write_text(render_html(pack), encoding="utf-8")


# --- PDF --------------------------------------------------------------------------------------
def _latin1(text: str) -> str:
    """The PDF's core font is Latin-1 (enough for en, zu, af): replace the rest visibly."""
    plain = (text.replace("\u2014", "-").replace("\u2013", "-").replace("\u2019", "'")
             .replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"').replace("\u26a0", "(!)"))
    return plain.encode("latin-1", "replace").decode("latin-1")


def _cell(pdf: object, height: float, text: str) -> None:
    """A paragraph across the page, then back to the left margin on the next line."""
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")  # type: ignore[attr-defined]


def write_pdf(pack: Pack, path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    _cell(pdf, 8, _latin1(f"Haki review pack: {pack.language} ({pack.made.isoformat()})"))
    pdf.set_font("Helvetica", "", 10)
    _cell(pdf, 5, _latin1(
        f"{len(pack.items)} texts. Name: ______________________  Role (lawyer / paralegal / native "
        "speaker): ______________  Date: ___________\nFor each text tick what you checked and whether "
        "you approve it; write a back-translation if you check a translation. Give this paper to the "
        "content team: they enter it in the HTML pack and run haki content sign-off."))
    for number, item in enumerate(pack.items, 1):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        _cell(pdf, 6, _latin1(f"{number}. {item.kind}: {item.key}  [{item.status}]"))
        pdf.set_font("Helvetica", "", 10)
        _cell(pdf, 5, _latin1(f"Text ({pack.language}):\n{item.text}"))
        if pack.language != SOURCE_LANGUAGE:
            pdf.set_font("Helvetica", "I", 9)
            _cell(pdf, 4.5, _latin1(f"English: {item.english}"))
            pdf.set_font("Helvetica", "", 10)
        for fact in item.facts:
            flag = {"unconfirmed": " (UNCONFIRMED: never state as fact)",
                    "to-confirm": " (NOT IN THE FACT SHEET: please confirm the law)"}.get(fact.status, "")
            _cell(pdf, 4.5, _latin1(f"Fact {fact.id} (section {fact.section}){flag}: {fact.says}"))
        for source in item.sources:
            _cell(pdf, 4.5, _latin1(f"Source: {source.name}{' - ' + source.link if source.link else ''}"))
        _cell(pdf, 6, _latin1("[  ] law checked   [  ] translation checked   [  ] back-translation "
                                     "checked   [  ] APPROVE"))
        _cell(pdf, 6, "Back-translation / comment: " + "_" * 60 + "\n" + "_" * 88)
    pdf.output(str(path))
