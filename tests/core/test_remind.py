"""Reminder wizard rules that need more than one chat or a restart."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.app import BotApp, Resources, build_app
from tests.conftest import Chat, FakeClock, make_settings, payloads_of, text_of


async def subscribe(chat: Chat, date: str = "2027-06-15") -> None:
    await chat.say("/remind")
    await chat.press("ev:expiry")
    await chat.press("who:self")
    await chat.say(date)
    assert "Saved" in text_of(await chat.press("rsave"))


async def test_wizard_resumes_after_restart(
    database: Path, clock: FakeClock, resources: Resources
) -> None:
    first = build_app(make_settings(database), resources=resources, clock=clock)
    await first.start()
    chat = Chat(first)
    await chat.say("/remind")
    await chat.press("ev:expiry")
    await chat.press("who:spouse")
    await first.stop()  # the bot restarts while the user is typing the date

    second = build_app(make_settings(database), resources=resources, clock=clock)
    await second.start()
    try:
        chat.app = second
        replies = await chat.say("15.06.2027")
        assert "The card expires on June 15, 2027." in text_of(replies)
        assert "rsave" in payloads_of(replies)
        await chat.press("rsave")
        (subscription,) = await second.store.subscriptions("test", chat.chat_id)
        assert subscription.label == "spouse"
    finally:
        await second.stop()


async def test_two_users_cannot_see_or_cancel_each_others_reminders(app: BotApp) -> None:
    alice, bob = Chat(app, chat_id="100"), Chat(app, chat_id="200")
    await subscribe(alice)
    (alice_sub,) = await app.store.subscriptions("test", "100")
    assert "You have no reminders" in text_of(await bob.say("/reminders"))
    assert "not found among yours" in text_of(await bob.press(f"unsub:{alice_sub.id}"))
    assert "not found among yours" in text_of(await bob.press(f"renewed:{alice_sub.id}"))
    assert await app.store.subscriptions("test", "100") == [alice_sub]
    assert "June 15, 2027" in text_of(await alice.say("/reminders"))


async def test_renewed_replaces_the_schedule(app: BotApp) -> None:
    chat = Chat(app)
    await subscribe(chat)
    (subscription,) = await app.store.subscriptions("test", chat.chat_id)
    replies = await chat.press(f"renewed:{subscription.id}")
    assert "When does the card expire?" in text_of(replies)
    await chat.say("2036-06-01")
    await chat.press("rsave")
    (replaced,) = await app.store.subscriptions("test", chat.chat_id)
    assert replaced.id == subscription.id
    assert str(replaced.event_date) == "2036-06-01"


async def test_calendar_file_is_valid_icalendar(app: BotApp) -> None:
    from icalendar import Calendar

    chat = Chat(app)
    await chat.say("/remind")
    await chat.press("ev:expiry")
    await chat.press("who:self")
    await chat.say("2027-03-31")
    replies = await chat.press("rsave")
    attachment = next(r.attachment for r in replies if r.attachment is not None)
    assert attachment.filename.endswith(".ics") and attachment.mime_type == "text/calendar"
    calendar = Calendar.from_ical(attachment.content)
    (event,) = calendar.walk("VEVENT")
    assert str(event.decoded("dtstart")) == "2027-02-28"  # 31 March minus one month
    assert str(event.decoded("dtend")) == "2027-04-01"  # exclusive: the window ends on 31 March
    assert "Renew" in str(event.get("summary"))


async def test_my_data_shows_everything_stored_and_nothing_after_deleting(
    app: BotApp, clock: FakeClock
) -> None:
    chat = Chat(app)
    await chat.press("lang:en")
    await subscribe(chat)
    await chat.say("/remind")
    await chat.press("ev:expiry")
    await chat.press("who:child")
    await chat.say("2027-09-01")
    await chat.press("rsave")
    own, child = await app.store.subscriptions("test", chat.chat_id)
    await chat.press(f"unsub:{child.id}")
    await chat.say("/fees")
    await chat.press("fb:fees:0")
    first_due = await app.store.next_due(own.id)
    assert first_due is not None
    clock.advance(first_due - clock.now() + dt.timedelta(minutes=1))  # it falls due, is sent
    (due,) = await app.store.claim_due(clock.now(), 10)
    await app.store.mark_sent(due.id, clock.now())
    await chat.say("/remind")  # a wizard half done is part of the data too
    await chat.press("ev:change")

    replies = await chat.say("/mydata")
    text = text_of(replies)
    assert "• Language: English" in text
    assert "• Conversation: setting up a reminder: whose card" in text
    assert "answers given in this step are kept" in text
    assert "• Reminder: 👤 My own card, expires on June 15, 2027; active, set up on" in text
    assert "• Reminder: 🧒 My child's card, expires on September 1, 2027; stopped" in text
    assert "the renewal window opens (planned)" in text
    assert "get your documents ready (sent on " in text
    assert "(cancelled)" in text  # the stopped one's reminders
    assert "• Rating: 💰 Fees: not helpful" in text
    assert "without your chat id" in text
    assert "No reminders" not in text and "No ratings" not in text
    assert payloads_of(replies) == ["menu"]
    more = await chat.press("who:self")  # /mydata did not end the wizard
    assert "On what date did the detail on the card change?" in text_of(more)

    await chat.say("/deletemydata")
    await chat.press("erase:yes")
    text = text_of(await chat.say("/mydata"))
    assert "• No reminders." in text and "• No ratings." in text
    assert "• Language: not chosen" in text and "nothing in progress" in text
    assert await app.store.subscription_history("test", chat.chat_id) == []
    assert await app.store.ratings("test", chat.chat_id) == []
