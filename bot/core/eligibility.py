"""The guided eligibility check: questions with buttons, Back and Cancel, then the pathways.

The questions and the rules come from data/eligibility_check.yaml; this module only walks
them. The result names pathways that may fit and, if none does, the closest one and what it
lacks. The decision is always the authorities'.
"""

from __future__ import annotations

import dataclasses

from bot.core import payloads
from bot.core.check_model import CheckRule, EligibilityCheck, Option, Question
from bot.core.engine import Reply, Turn
from bot.core.text import N_, _
from bot.core.types import Button, Outbound

__all__ = ["CheckRule", "EligibilityCheck", "Option", "Question"]  # the model, re-exported

STATE = "eligibility"
PAGE_SIZE = 6


def _check(turn: Turn) -> EligibilityCheck:
    check = turn.services.eligibility
    if check is None:
        raise LookupError("no eligibility check loaded")
    return check


def _ask(turn: Turn, question: Question) -> Reply:
    rows: list[tuple[Button, ...]] = [
        (Button(_(o.label), payloads.check_answer(question.id, o.id)),) for o in question.options
    ]
    controls = []
    if turn.conversation.data.get("order"):
        controls.append(Button(_("◀ Back"), payloads.check_back()))
    controls.append(Button(_("✖ Cancel"), payloads.CANCEL))
    rows.append(tuple(controls))
    step = len(turn.conversation.data.get("order", [])) + 1
    text = _("Question {number}: {question}").format(number=step, question=_(question.text))
    return Reply((Outbound(text=text, buttons=tuple(rows)),), STATE)


async def start_check(turn: Turn) -> Reply:
    """Begin the guided check."""
    turn.conversation.data = {"answers": {}, "order": []}
    intro = Outbound(
        text=_(
            "A few questions will show which permanent-residence pathways may fit you. "
            "It takes a minute; the decision is always the authorities'."
        )
    )
    question = _check(turn).next_question({})
    assert question is not None
    reply = _ask(turn, question)
    return Reply((intro, *reply.messages), STATE)


async def answer(turn: Turn) -> Reply:
    """Record an answer (or go back one question), then ask the next or show the result.

    The state table marks these presses `edits`: the next question (or the result) replaces
    the question answered where the channel can edit, so Back walks through one message.
    """
    data = turn.conversation.data
    raw_answers, raw_order = data.get("answers"), data.get("order")
    answers: dict[str, str] = dict(raw_answers) if isinstance(raw_answers, dict) else {}
    order: list[str] = list(raw_order) if isinstance(raw_order, list) else []
    check = _check(turn)
    if turn.argument == payloads.BACK:
        if order:
            answers.pop(order.pop(), None)
    else:
        chosen = payloads.read_check_answer(turn.argument)
        question = check.question(chosen[0]) if chosen else None
        if chosen is None or question is None or chosen[1] not in {o.id for o in question.options}:
            return await _restate(turn, N_("That button is no longer valid. Please choose again:"))
        question_id, option_id = chosen
        if question_id not in answers:
            order.append(question_id)
        answers[question_id] = option_id
    turn.conversation.data = {"answers": answers, "order": order}
    question = check.next_question(answers)
    if question is not None:
        return _ask(turn, question)
    fits, near = check.evaluate(answers)
    turn.conversation.data = {}
    return Reply(tuple(turn.services.answers.eligibility_result(fits, near, turn.now)), "main")


async def _restate(turn: Turn, message: str) -> Reply:
    answers = turn.conversation.data.get("answers")
    question = _check(turn).next_question(answers if isinstance(answers, dict) else {})
    if question is None:
        return await start_check(turn)
    reply = _ask(turn, question)
    first = reply.messages[0]
    text = f"{_(message)}\n\n{first.text}"
    return Reply((Outbound(text=text, buttons=first.buttons),), STATE)


async def reask(turn: Turn) -> Reply:
    """Typed text during the check: ask to use the buttons."""
    return await _restate(turn, N_("Please answer with the buttons, or send /cancel."))


async def show_pathway(turn: Turn) -> Reply:
    """One pathway in full: conditions, documents, notes, source."""
    pathway_id = payloads.read_name(turn.argument)
    messages = turn.services.answers.pathway(pathway_id, turn.now) if pathway_id else []
    if not messages:
        return Reply((Outbound(text=_("That button is no longer valid. Please choose again:")),))
    return Reply(tuple(messages))


async def list_pathways(turn: Turn) -> Reply:
    """A page of the pathway list, as buttons.

    Previous and next (`pwl:<page>`) replace the page they are on, where the channel edits;
    the list opened afresh (`/pathways`, "All pathways": `pwl`) is a new message, so the
    answer it was opened from stays.
    """
    page = payloads.read_page(turn.argument) or 0
    listed = turn.services.answers.pathway_list(page, PAGE_SIZE)
    paging = turn.inbound.command is None and turn.argument != ""
    return Reply((dataclasses.replace(listed, edit=paging),))
