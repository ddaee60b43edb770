-- +goose Up
-- Settings admins change at run time (SLA rules, office hours, retention,
-- hotline hours). A row overrides the node's environment default; every
-- node reads them again periodically, so a change reaches them all.
CREATE TABLE admin_settings (
    key        text PRIMARY KEY CHECK (key ~ '^[a-z_]{1,64}$'),
    value      text NOT NULL,
    updated_by bigint REFERENCES users (id),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Holidays and make-up working days admins add, on top of SLA_HOLIDAYS and
-- SLA_WORKDAYS: the SLA clocks and the hotline's hours both follow them.
CREATE TABLE sla_holidays (
    day        date PRIMARY KEY,
    name       text NOT NULL DEFAULT '',
    -- holiday: not a working day; workday: a weekend day worked (ngày làm bù)
    kind       text NOT NULL DEFAULT 'holiday' CHECK (kind IN ('holiday', 'workday')),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE sla_holidays;
DROP TABLE admin_settings;
