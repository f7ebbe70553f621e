-- The registrar's queue of transcript requests: each request, the consent it rests on, and
-- every step it took. Dates are YYYY-MM-DD, times RFC 3339 in UTC.

CREATE TABLE requests (
    number      INTEGER PRIMARY KEY,  -- R-000042 is number 42
    student     TEXT NOT NULL,
    party_kind  TEXT NOT NULL CHECK (party_kind IN ('student', 'parent', 'alumnus', 'college', 'official')),
    party_name  TEXT NOT NULL,
    party_email TEXT,
    recipient   TEXT NOT NULL,
    delivery    TEXT NOT NULL,        -- a pack's destination (commonapp ...), download, print or pesc
    address     TEXT,                 -- where a printed copy goes, or the PESC destination's id
    profile     TEXT,                 -- the disclosure profile; the delivery's own when NULL
    due         TEXT,
    basis       TEXT NOT NULL CHECK (basis IN ('consent', 'enrollment', 'own-record', 'official')),
    purpose     TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('received', 'approved', 'on-hold', 'sending', 'sent', 'delivered', 'cancelled', 'rejected')),
    held_from   TEXT,                 -- the state a release returns to
    hold_reason TEXT,
    hold_note   TEXT,
    hold_by     TEXT,
    hold_at     TEXT,
    received_at TEXT NOT NULL,
    received_by TEXT NOT NULL,
    source      TEXT NOT NULL,        -- "counter", "requests.csv:4", "request.xml"
    reference   TEXT UNIQUE,          -- the sender's own id: a CSV's request_id, PESC's RequestTrackingID
    sent_at     TEXT,
    sent_entry  INTEGER,              -- the ledger entry that records the send
    pesc        BLOB,                 -- a PESC TranscriptRequest as received, for its response
    updated_at  TEXT NOT NULL
);
CREATE INDEX requests_by_state ON requests (state, coalesce(due, '9999-12-31'), number);
CREATE INDEX requests_by_due ON requests (coalesce(due, '9999-12-31'), number);
CREATE INDEX requests_by_student ON requests (student, number);
CREATE INDEX requests_by_recipient ON requests (recipient, number);

-- Who asked and for whom is fixed once a request is received: a new request instead. The
-- student of a request no record matched (empty) is set once, by `mastery requests match`.
CREATE TRIGGER requests_party_fixed BEFORE UPDATE OF party_kind, party_name, recipient, delivery, address ON requests
BEGIN
    SELECT RAISE(ABORT, 'the party and the recipient of a request cannot change once it is received: cancel it and take a new request');
END;
CREATE TRIGGER requests_student_fixed BEFORE UPDATE OF student ON requests WHEN OLD.student <> ''
BEGIN
    SELECT RAISE(ABORT, 'the student of a request cannot change once it is received: cancel it and take a new request');
END;

CREATE TABLE consents (
    request     INTEGER PRIMARY KEY REFERENCES requests (number),
    signed_by   TEXT NOT NULL,
    signer      TEXT NOT NULL CHECK (signer IN ('student', 'parent')),
    signed_on   TEXT NOT NULL,
    records     TEXT NOT NULL,        -- which records may be disclosed
    purpose     TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    form        TEXT NOT NULL CHECK (form IN ('electronic', 'signed-form')),
    text        TEXT NOT NULL,        -- the words signed
    file_name   TEXT,                 -- the signed form uploaded, if any
    file        BLOB,
    sha256      TEXT NOT NULL,        -- of the form when there is one, else of the words
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL
);

CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    request     INTEGER NOT NULL REFERENCES requests (number),
    at          TEXT NOT NULL,
    by          TEXT NOT NULL,
    step        TEXT NOT NULL,
    from_state  TEXT,
    to_state    TEXT NOT NULL,
    note        TEXT
);
CREATE INDEX events_by_request ON events (request, seq);

-- A request's history and its consent are kept as written.
CREATE TRIGGER events_not_changed BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'the history of a request is never rewritten');
END;
CREATE TRIGGER events_not_removed BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'the history of a request is never rewritten');
END;
CREATE TRIGGER consents_not_changed BEFORE UPDATE ON consents
BEGIN
    SELECT RAISE(ABORT, 'a consent is kept as it was signed');
END;
CREATE TRIGGER consents_not_removed BEFORE DELETE ON consents
BEGIN
    SELECT RAISE(ABORT, 'a consent is kept as it was signed');
END;
