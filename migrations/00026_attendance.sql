-- After the event: who came, and what the office keeps for its reports.
--  * registrations.attended_at: when staff marked the registration as
--    attended (events attend), NULL for not (yet).
--  * events.figures_report: the event's report (registrations, people,
--    attendance, by kind and by answer; counts only), written when its
--    registrations are deleted after RUNDBRIEF_REGISTRATION_TTL, so that
--    the report outlives them. Its shape is package events' (Report).

-- +goose Up
ALTER TABLE registrations ADD COLUMN attended_at timestamptz
    CONSTRAINT registrations_attended_registered CHECK (attended_at IS NULL OR status = 'registered');
ALTER TABLE events ADD COLUMN figures_report jsonb
    CONSTRAINT events_figures_report_object CHECK (figures_report IS NULL OR jsonb_typeof(figures_report) = 'object');

-- +goose Down
ALTER TABLE events DROP COLUMN figures_report;
ALTER TABLE registrations DROP COLUMN attended_at;
