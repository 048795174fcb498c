"""Report numbers from lead histories: plain functions over plain data, so that chat, the
dashboard and the API show the very same figures.

What is counted, and when (docs/dashboard.md says the same for heads of sales):

- A period is [start, end) in the company time zone (today, yesterday, this week from
  Monday, this calendar month, or given dates).
- Leads by channel and source, and the funnel, follow the leads *created* in the period
  (a cohort) up to now: how far they got.
- Everything else counts what *happened* in the period: first answers given, offers
  decided, stages left, SLA deadlines judged, deals closed, surveys answered.
- A lead is "held" by the manager it is offered or assigned to; it is credited to the
  holder of the moment (breaches to whoever held it when the deadline passed, a close to
  whoever held it when it closed), so a reassigned lead counts for each in turn.
- First response for the team is the customer's wait, from the lead's creation to the
  first answer (a reply, or the move to "contacted", as the SLA counts it). Per manager
  it runs from the moment the lead became his to his answer, so a lead that bounced
  between managers does not count against the one who finally answered.
- Revenue follows the deals won in the period (the same closes as the outcomes), each
  with its lead's amount as it is now (a correction after the close counts); a win
  without an amount is counted apart and left out of the average deal. Per manager it
  is credited like the close, per source to the lead's source (its channel if none).
- A lead reopened after a close (a `reopened` event, or a stage change out of a closed
  stage) counts as closed in a period only if it was still closed at the period's end.

One module per step, each importing only the ones before it:

- `facts`: the plain records a report is computed from, filled by the use case;
- `periods`: the period's bounds;
- `history`: one lead's events replayed (holders, stages, answers, offers, closes);
- `statistics`: the figures of one section from the facts credited to it;
- `report`: crediting facts to the team and each manager, and assembling the report;
- `serialise`: the report as JSON.
"""
