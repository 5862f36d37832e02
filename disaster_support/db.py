"""The SQLite database: connection settings, versioned schema, transactions.

The schema version lives in ``PRAGMA user_version``. ``MIGRATIONS[n]`` takes a
database from version n to n + 1; a migration never edits an earlier entry, so
any database the tool ever created can be brought forward with its data.
"""

import contextlib
import datetime
import os
import sqlite3
import threading
from pathlib import Path

import sqlite_utils
from flask import current_app, g

BUSY_TIMEOUT_MS = 10_000

MIGRATIONS = [
    # 1: the shelter registry as published in open data.
    """
    CREATE TABLE shelter (
        id TEXT PRIMARY KEY,
        site_id TEXT UNIQUE,
        kind TEXT NOT NULL
            CHECK (kind IN ('designated_shelter', 'welfare_shelter', 'emergency_site')),
        emergency_site INTEGER NOT NULL DEFAULT 0,
        name TEXT NOT NULL,
        name_kana TEXT,
        name_en TEXT,
        municipality TEXT,
        ward TEXT,
        address TEXT,
        lat REAL,
        lon REAL,
        capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),
        hazards TEXT NOT NULL DEFAULT '[]',
        phone TEXT,
        outside_city INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'closed'
            CHECK (status IN ('preparing', 'open', 'full', 'closed')),
        evacuees INTEGER NOT NULL DEFAULT 0 CHECK (evacuees >= 0),
        open_data TEXT NOT NULL DEFAULT '{}',
        source TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT
    );
    CREATE INDEX shelter_ward ON shelter (ward);
    CREATE INDEX shelter_status ON shelter (status);
    """,
    # 2: what matters to foreign evacuees, head counts per language, history.
    """
    ALTER TABLE shelter ADD COLUMN staff_languages TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE shelter ADD COLUMN food_halal INTEGER;
    ALTER TABLE shelter ADD COLUMN food_vegetarian INTEGER;
    ALTER TABLE shelter ADD COLUMN food_allergy INTEGER;
    ALTER TABLE shelter ADD COLUMN prayer_space INTEGER;
    ALTER TABLE shelter ADD COLUMN women_space INTEGER;
    ALTER TABLE shelter ADD COLUMN baby_space INTEGER;
    ALTER TABLE shelter ADD COLUMN wheelchair INTEGER;
    ALTER TABLE shelter ADD COLUMN pets INTEGER;
    ALTER TABLE shelter ADD COLUMN charging INTEGER;
    ALTER TABLE shelter ADD COLUMN wifi INTEGER;
    CREATE TABLE shelter_language (
        shelter_id TEXT NOT NULL REFERENCES shelter (id) ON DELETE CASCADE,
        language TEXT NOT NULL,
        people INTEGER NOT NULL CHECK (people > 0),
        PRIMARY KEY (shelter_id, language)
    );
    CREATE INDEX shelter_language_language ON shelter_language (language);
    CREATE TABLE shelter_change (
        id INTEGER PRIMARY KEY,
        shelter_id TEXT NOT NULL REFERENCES shelter (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        via TEXT NOT NULL,
        field TEXT NOT NULL,
        old TEXT,
        new TEXT
    );
    CREATE INDEX shelter_change_shelter ON shelter_change (shelter_id, at);
    """,
    # 3: accounts, shelter devices, API tokens, login throttling, the audit log.
    """
    CREATE TABLE user (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL
            CHECK (role IN ('admin', 'coordinator', 'shelter_staff', 'volunteer')),
        password_hash TEXT NOT NULL,
        must_change_password INTEGER NOT NULL DEFAULT 0,
        language TEXT,
        session_epoch INTEGER NOT NULL DEFAULT 0,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        last_login_at TEXT
    );
    CREATE TABLE user_shelter (
        user_id INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
        shelter_id TEXT NOT NULL REFERENCES shelter (id) ON DELETE CASCADE,
        PRIMARY KEY (user_id, shelter_id)
    );
    CREATE TABLE api_token (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        label TEXT,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
    );
    CREATE TABLE device (
        id INTEGER PRIMARY KEY,
        shelter_id TEXT NOT NULL REFERENCES shelter (id) ON DELETE CASCADE,
        label TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        language TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT,
        revoked_by TEXT
    );
    CREATE INDEX device_shelter ON device (shelter_id);
    CREATE TABLE login_throttle (
        key TEXT PRIMARY KEY,
        failures INTEGER NOT NULL,
        last_failure_at REAL NOT NULL,
        blocked_until REAL NOT NULL
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT,
        via TEXT NOT NULL,
        address TEXT,
        action TEXT NOT NULL,
        entity TEXT NOT NULL,
        entity_id TEXT,
        before TEXT,
        after TEXT
    );
    CREATE INDEX audit_at ON audit (at);
    CREATE INDEX audit_entity ON audit (entity, entity_id);
    """,
    # 4: needs of foreign evacuees and their lifecycle events.
    """
    CREATE TABLE need (
        id INTEGER PRIMARY KEY,
        client_id TEXT NOT NULL UNIQUE,
        shelter_id TEXT NOT NULL REFERENCES shelter (id),
        category TEXT NOT NULL,
        language TEXT NOT NULL,
        people INTEGER NOT NULL CHECK (people > 0),
        urgency TEXT NOT NULL DEFAULT 'normal'
            CHECK (urgency IN ('critical', 'high', 'normal', 'low')),
        priority INTEGER GENERATED ALWAYS AS (
            CASE urgency WHEN 'critical' THEN 0 WHEN 'high' THEN 1
                         WHEN 'normal' THEN 2 ELSE 3 END) VIRTUAL,
        note TEXT,
        status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'matched', 'in_progress', 'resolved', 'cancelled')),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX need_queue ON need (priority, created_at)
        WHERE status IN ('open', 'matched', 'in_progress');
    -- covering indexes of the unresolved needs: the situation table and the
    -- queue's counts read only these, never the table
    CREATE INDEX need_active_by_language ON need (language, category, people, created_at,
        urgency, shelter_id) WHERE status IN ('open', 'matched', 'in_progress');
    CREATE INDEX need_active_by_shelter ON need (shelter_id, language, category, people,
        created_at, urgency) WHERE status IN ('open', 'matched', 'in_progress');
    CREATE INDEX need_shelter ON need (shelter_id, status);
    CREATE TABLE need_event (
        id INTEGER PRIMARY KEY,
        need_id INTEGER NOT NULL REFERENCES need (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        role TEXT,
        via TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        reason TEXT
    );
    CREATE INDEX need_event_need ON need_event (need_id, at);
    """,
    # 5: life-support notices, their translations and earlier versions.
    """
    CREATE TABLE notice (
        id INTEGER PRIMARY KEY,
        template_id TEXT,
        category TEXT NOT NULL,
        slots TEXT NOT NULL DEFAULT '{}',
        source_language TEXT NOT NULL,
        title TEXT,
        body TEXT,
        status TEXT NOT NULL DEFAULT 'draft'
            CHECK (status IN ('draft', 'published', 'withdrawn')),
        area_kind TEXT NOT NULL DEFAULT 'all' CHECK (area_kind IN ('all', 'wards', 'shelters')),
        area TEXT NOT NULL DEFAULT '[]',
        valid_from TEXT,
        valid_until TEXT,
        version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        published_at TEXT,
        published_by TEXT
    );
    CREATE INDEX notice_status ON notice (status, valid_until);
    CREATE TABLE notice_translation (
        notice_id INTEGER NOT NULL REFERENCES notice (id) ON DELETE CASCADE,
        language TEXT NOT NULL,
        title TEXT,
        body TEXT,
        note TEXT,
        translated_by TEXT NOT NULL,
        translated_at TEXT NOT NULL,
        PRIMARY KEY (notice_id, language)
    );
    CREATE TABLE notice_version (
        id INTEGER PRIMARY KEY,
        notice_id INTEGER NOT NULL REFERENCES notice (id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        snapshot TEXT NOT NULL
    );
    CREATE INDEX notice_version_notice ON notice_version (notice_id, version);
    """,
    # 6: volunteers, their assignments to needs and translations, notices given.
    """
    CREATE TABLE volunteer (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        phone TEXT,
        email TEXT,
        ward TEXT,
        lat REAL,
        lon REAL,
        max_assignments INTEGER NOT NULL DEFAULT 2 CHECK (max_assignments BETWEEN 1 AND 20),
        consent_at TEXT NOT NULL,
        user_id INTEGER UNIQUE REFERENCES user (id) ON DELETE SET NULL,
        checked_in_at TEXT,
        checked_in_place TEXT,
        note TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE volunteer_language (
        volunteer_id INTEGER NOT NULL REFERENCES volunteer (id) ON DELETE CASCADE,
        language TEXT NOT NULL,
        level TEXT NOT NULL CHECK (level IN ('native', 'fluent', 'conversational',
                                             'simple_japanese', 'reading')),
        PRIMARY KEY (volunteer_id, language)
    );
    CREATE INDEX volunteer_language_language ON volunteer_language (language, level);
    CREATE TABLE volunteer_skill (
        volunteer_id INTEGER NOT NULL REFERENCES volunteer (id) ON DELETE CASCADE,
        skill TEXT NOT NULL,
        PRIMARY KEY (volunteer_id, skill)
    );
    CREATE TABLE volunteer_availability (
        id INTEGER PRIMARY KEY,
        volunteer_id INTEGER NOT NULL REFERENCES volunteer (id) ON DELETE CASCADE,
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL
    );
    CREATE TABLE assignment (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('need', 'translation')),
        need_id INTEGER REFERENCES need (id) ON DELETE CASCADE,
        notice_id INTEGER REFERENCES notice (id) ON DELETE CASCADE,
        language TEXT NOT NULL,
        volunteer_id INTEGER NOT NULL REFERENCES volunteer (id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('proposed', 'confirmed', 'accepted',
                                               'declined', 'done', 'cancelled')),
        cost INTEGER,
        reasons TEXT NOT NULL DEFAULT '{}',
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX assignment_volunteer ON assignment (volunteer_id, status);
    CREATE INDEX assignment_need ON assignment (need_id, status);
    CREATE TABLE need_answer (
        need_id INTEGER NOT NULL REFERENCES need (id) ON DELETE CASCADE,
        notice_id INTEGER NOT NULL REFERENCES notice (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        PRIMARY KEY (need_id, notice_id)
    );
    """,
    # 7: drills: what a drill database is (scenario, speed, start) and its injects.
    """
    CREATE TABLE drill_info (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE drill_inject (
        id INTEGER PRIMARY KEY,
        at_minute REAL NOT NULL,
        kind TEXT NOT NULL,
        spec TEXT NOT NULL,
        delivered_at TEXT,
        result TEXT
    );
    """,
    # 8: sign-in sessions kept on the server: signing out ends a session for good, a
    # copied cookie included.
    """
    CREATE TABLE user_session (
        id INTEGER PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user_id INTEGER NOT NULL REFERENCES user (id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE INDEX user_session_user ON user_session (user_id);
    """,
    # 9: the change feed the coordinator's open pages follow (triggers write it in the
    # same transaction as every change, so no write path can forget it and a cursor
    # never skips a committed change), the needs each coordinator has seen, and who is
    # handling a need or a notice draft.
    """
    CREATE TABLE change_feed (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')),
        kind TEXT NOT NULL,
        ref TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT
    );
    CREATE TRIGGER need_created AFTER INSERT ON need BEGIN
        INSERT INTO change_feed (kind, ref, action, detail)
        VALUES ('need', NEW.id, 'created', NEW.urgency);
    END;
    CREATE TRIGGER need_changed AFTER UPDATE ON need BEGIN
        INSERT INTO change_feed (kind, ref, action, detail)
        VALUES ('need', NEW.id, 'changed', NEW.urgency);
    END;
    CREATE TRIGGER need_deleted AFTER DELETE ON need BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('need', OLD.id, 'deleted');
    END;
    CREATE TRIGGER shelter_changed AFTER UPDATE ON shelter BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('shelter', NEW.id, 'changed');
    END;
    CREATE TRIGGER shelter_language_added AFTER INSERT ON shelter_language BEGIN
        INSERT INTO change_feed (kind, ref, action)
        VALUES ('shelter', NEW.shelter_id, 'changed');
    END;
    CREATE TRIGGER shelter_language_changed AFTER UPDATE ON shelter_language BEGIN
        INSERT INTO change_feed (kind, ref, action)
        VALUES ('shelter', NEW.shelter_id, 'changed');
    END;
    CREATE TRIGGER shelter_language_removed AFTER DELETE ON shelter_language BEGIN
        INSERT INTO change_feed (kind, ref, action)
        VALUES ('shelter', OLD.shelter_id, 'changed');
    END;
    CREATE TRIGGER assignment_created AFTER INSERT ON assignment BEGIN
        INSERT INTO change_feed (kind, ref, action, detail)
        VALUES ('assignment', NEW.id, 'created', NEW.need_id);
    END;
    CREATE TRIGGER assignment_changed AFTER UPDATE ON assignment BEGIN
        INSERT INTO change_feed (kind, ref, action, detail)
        VALUES ('assignment', NEW.id, 'changed', NEW.need_id);
    END;
    CREATE TRIGGER assignment_deleted AFTER DELETE ON assignment BEGIN
        INSERT INTO change_feed (kind, ref, action, detail)
        VALUES ('assignment', OLD.id, 'deleted', OLD.need_id);
    END;
    CREATE TRIGGER notice_created AFTER INSERT ON notice BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('notice', NEW.id, 'created');
    END;
    CREATE TRIGGER notice_changed AFTER UPDATE ON notice BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('notice', NEW.id, 'changed');
    END;
    CREATE TRIGGER notice_translated AFTER INSERT ON notice_translation BEGIN
        INSERT INTO change_feed (kind, ref, action)
        VALUES ('notice', NEW.notice_id, 'changed');
    END;
    CREATE TRIGGER notice_retranslated AFTER UPDATE ON notice_translation BEGIN
        INSERT INTO change_feed (kind, ref, action)
        VALUES ('notice', NEW.notice_id, 'changed');
    END;
    CREATE TRIGGER volunteer_added AFTER INSERT ON volunteer BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('volunteer', NEW.id, 'created');
    END;
    CREATE TRIGGER volunteer_changed AFTER UPDATE ON volunteer BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('volunteer', NEW.id, 'changed');
    END;
    CREATE TABLE need_seen (
        account_id INTEGER NOT NULL,
        need_id INTEGER NOT NULL REFERENCES need (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        PRIMARY KEY (account_id, need_id)
    );
    -- needs up to here count as seen for an account: its first look at the queue must
    -- not call every need of the event "new"
    CREATE TABLE need_seen_floor (
        account_id INTEGER PRIMARY KEY,
        need_id INTEGER NOT NULL
    );
    CREATE TABLE claim (
        subject TEXT NOT NULL CHECK (subject IN ('need', 'notice')),
        subject_id INTEGER NOT NULL,
        account_id INTEGER NOT NULL,
        username TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        renewed_at TEXT NOT NULL,
        PRIMARY KEY (subject, subject_id)
    );
    CREATE INDEX claim_account ON claim (account_id);
    CREATE TRIGGER claim_taken AFTER INSERT ON claim BEGIN
        INSERT INTO change_feed (kind, ref, action, detail)
        VALUES (NEW.subject, NEW.subject_id, 'claimed', NEW.username);
    END;
    CREATE TRIGGER claim_released AFTER DELETE ON claim BEGIN
        INSERT INTO change_feed (kind, ref, action, detail)
        VALUES (OLD.subject, OLD.subject_id, 'released', OLD.username);
    END;
    CREATE TRIGGER need_finished_releases_claim AFTER UPDATE OF status ON need
    WHEN NEW.status IN ('resolved', 'cancelled') BEGIN
        DELETE FROM claim WHERE subject = 'need' AND subject_id = NEW.id;
    END;
    CREATE TRIGGER notice_finished_releases_claim AFTER UPDATE OF status ON notice
    WHEN NEW.status <> 'draft' BEGIN
        DELETE FROM claim WHERE subject = 'notice' AND subject_id = NEW.id;
    END;
    """,
    # 10: a place's name in Latin letters (Hepburn as on road signs), next to its kana
    # reading and English name, for the readers of other languages than Japanese.
    """
    ALTER TABLE shelter ADD COLUMN name_romaji TEXT;
    """,
    # 11: people wherever they are. The registry holds places of every kind, the city's
    # official list apart from those the center adds (official = 0), each located by a
    # point or a district; a place merged into another leaves its old ID behind as an
    # alias. Patrol rounds visit places; a visit counts who was met. Needs know where
    # they came from, and evacuees' own reports wait as 'reported' until a coordinator
    # confirms them (outside the unresolved statuses, so no count, index or match sees
    # them before); a call-back number is kept apart, for purge. Both tables are
    # rebuilt (SQLite cannot widen a CHECK), with foreign keys off (see migrate).
    """
    CREATE TABLE shelter_new (
        id TEXT PRIMARY KEY,
        site_id TEXT UNIQUE,
        kind TEXT NOT NULL CHECK (kind IN (
            'designated_shelter', 'welfare_shelter', 'emergency_site', 'temporary_shelter',
            'religious_facility', 'dormitory', 'hotel', 'station', 'car_sleeping',
            'at_home')),
        emergency_site INTEGER NOT NULL DEFAULT 0,
        name TEXT NOT NULL,
        name_kana TEXT,
        name_en TEXT,
        municipality TEXT,
        ward TEXT,
        address TEXT,
        lat REAL,
        lon REAL,
        capacity INTEGER CHECK (capacity IS NULL OR capacity >= 0),
        hazards TEXT NOT NULL DEFAULT '[]',
        phone TEXT,
        outside_city INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'closed'
            CHECK (status IN ('preparing', 'open', 'full', 'closed')),
        evacuees INTEGER NOT NULL DEFAULT 0 CHECK (evacuees >= 0),
        open_data TEXT NOT NULL DEFAULT '{}',
        source TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT,
        staff_languages TEXT NOT NULL DEFAULT '[]',
        food_halal INTEGER,
        food_vegetarian INTEGER,
        food_allergy INTEGER,
        prayer_space INTEGER,
        women_space INTEGER,
        baby_space INTEGER,
        wheelchair INTEGER,
        pets INTEGER,
        charging INTEGER,
        wifi INTEGER,
        name_romaji TEXT,
        official INTEGER NOT NULL DEFAULT 1,
        district TEXT,
        location_approximate INTEGER NOT NULL DEFAULT 0,
        contact TEXT,
        created_by TEXT
    );
    INSERT INTO shelter_new (id, site_id, kind, emergency_site, name, name_kana, name_en,
        municipality, ward, address, lat, lon, capacity, hazards, phone, outside_city,
        status, evacuees, open_data, source, created_at, updated_at, updated_by,
        staff_languages, food_halal, food_vegetarian, food_allergy, prayer_space,
        women_space, baby_space, wheelchair, pets, charging, wifi, name_romaji)
    SELECT id, site_id, kind, emergency_site, name, name_kana, name_en,
        municipality, ward, address, lat, lon, capacity, hazards, phone, outside_city,
        status, evacuees, open_data, source, created_at, updated_at, updated_by,
        staff_languages, food_halal, food_vegetarian, food_allergy, prayer_space,
        women_space, baby_space, wheelchair, pets, charging, wifi, name_romaji
    FROM shelter;
    DROP TABLE shelter;
    ALTER TABLE shelter_new RENAME TO shelter;
    CREATE INDEX shelter_ward ON shelter (ward);
    CREATE INDEX shelter_status ON shelter (status);
    CREATE INDEX shelter_kind ON shelter (kind);
    CREATE TRIGGER shelter_changed AFTER UPDATE ON shelter BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('shelter', NEW.id, 'changed');
    END;
    CREATE TRIGGER shelter_added AFTER INSERT ON shelter BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('shelter', NEW.id, 'created');
    END;
    CREATE TRIGGER shelter_removed AFTER DELETE ON shelter BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('shelter', OLD.id, 'deleted');
    END;
    CREATE TABLE place_merge (
        old_id TEXT PRIMARY KEY,
        into_id TEXT NOT NULL REFERENCES shelter (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX place_merge_into ON place_merge (into_id);

    CREATE TABLE patrol_round (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'planned'
            CHECK (status IN ('planned', 'active', 'done')),
        start_lat REAL NOT NULL,
        start_lon REAL NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE patrol_team (
        id INTEGER PRIMARY KEY,
        round_id INTEGER NOT NULL REFERENCES patrol_round (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        distance_m INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE patrol_member (
        team_id INTEGER NOT NULL REFERENCES patrol_team (id) ON DELETE CASCADE,
        volunteer_id INTEGER NOT NULL REFERENCES volunteer (id) ON DELETE CASCADE,
        PRIMARY KEY (team_id, volunteer_id)
    );
    CREATE INDEX patrol_member_volunteer ON patrol_member (volunteer_id);
    CREATE TABLE patrol_stop (
        team_id INTEGER NOT NULL REFERENCES patrol_team (id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        place_id TEXT NOT NULL REFERENCES shelter (id) ON DELETE CASCADE,
        reasons TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (team_id, position)
    );
    CREATE INDEX patrol_stop_place ON patrol_stop (place_id);
    CREATE TABLE visit (
        id INTEGER PRIMARY KEY,
        client_id TEXT NOT NULL UNIQUE,
        place_id TEXT NOT NULL REFERENCES shelter (id),
        team_id INTEGER REFERENCES patrol_team (id) ON DELETE SET NULL,
        at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        people INTEGER NOT NULL DEFAULT 0 CHECK (people >= 0),
        note TEXT,
        follow_up TEXT,
        follow_up_status TEXT CHECK (follow_up_status IN ('open', 'done')),
        follow_up_done_at TEXT,
        follow_up_done_by TEXT
    );
    CREATE INDEX visit_place ON visit (place_id, at);
    CREATE INDEX visit_follow_up ON visit (follow_up_status) WHERE follow_up_status = 'open';
    CREATE TABLE visit_language (
        visit_id INTEGER NOT NULL REFERENCES visit (id) ON DELETE CASCADE,
        language TEXT NOT NULL,
        people INTEGER NOT NULL CHECK (people > 0),
        PRIMARY KEY (visit_id, language)
    );
    CREATE TABLE visit_notice (
        visit_id INTEGER NOT NULL REFERENCES visit (id) ON DELETE CASCADE,
        notice_id INTEGER NOT NULL REFERENCES notice (id) ON DELETE CASCADE,
        PRIMARY KEY (visit_id, notice_id)
    );
    CREATE TRIGGER visit_recorded AFTER INSERT ON visit BEGIN
        INSERT INTO change_feed (kind, ref, action, detail)
        VALUES ('visit', NEW.id, 'created', NEW.place_id);
    END;
    CREATE TRIGGER visit_changed AFTER UPDATE ON visit BEGIN
        INSERT INTO change_feed (kind, ref, action, detail)
        VALUES ('visit', NEW.id, 'changed', NEW.place_id);
    END;
    CREATE TRIGGER patrol_round_changed AFTER UPDATE ON patrol_round BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('patrol', NEW.id, 'changed');
    END;
    CREATE TRIGGER patrol_round_created AFTER INSERT ON patrol_round BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('patrol', NEW.id, 'created');
    END;

    CREATE TABLE need_new (
        id INTEGER PRIMARY KEY,
        client_id TEXT NOT NULL UNIQUE,
        shelter_id TEXT NOT NULL REFERENCES shelter (id),
        category TEXT NOT NULL,
        language TEXT NOT NULL,
        people INTEGER NOT NULL CHECK (people > 0),
        urgency TEXT NOT NULL DEFAULT 'normal'
            CHECK (urgency IN ('critical', 'high', 'normal', 'low')),
        priority INTEGER GENERATED ALWAYS AS (
            CASE urgency WHEN 'critical' THEN 0 WHEN 'high' THEN 1
                         WHEN 'normal' THEN 2 ELSE 3 END) VIRTUAL,
        note TEXT,
        status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('reported', 'open', 'matched', 'in_progress', 'resolved',
                              'cancelled')),
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        origin TEXT NOT NULL DEFAULT 'staff'
            CHECK (origin IN ('staff', 'patrol', 'self_report')),
        visit_id INTEGER REFERENCES visit (id) ON DELETE SET NULL
    );
    INSERT INTO need_new (id, client_id, shelter_id, category, language, people, urgency,
        note, status, created_at, created_by, updated_at)
    SELECT id, client_id, shelter_id, category, language, people, urgency,
        note, status, created_at, created_by, updated_at FROM need;
    DROP TABLE need;
    ALTER TABLE need_new RENAME TO need;
    CREATE INDEX need_queue ON need (priority, created_at)
        WHERE status IN ('open', 'matched', 'in_progress');
    CREATE INDEX need_active_by_language ON need (language, category, people, created_at,
        urgency, shelter_id) WHERE status IN ('open', 'matched', 'in_progress');
    CREATE INDEX need_active_by_shelter ON need (shelter_id, language, category, people,
        created_at, urgency) WHERE status IN ('open', 'matched', 'in_progress');
    CREATE INDEX need_shelter ON need (shelter_id, status);
    CREATE INDEX need_reported ON need (created_at) WHERE status = 'reported';
    CREATE TRIGGER need_created AFTER INSERT ON need BEGIN
        INSERT INTO change_feed (kind, ref, action, detail)
        VALUES ('need', NEW.id, 'created', NEW.urgency);
    END;
    CREATE TRIGGER need_changed AFTER UPDATE ON need BEGIN
        INSERT INTO change_feed (kind, ref, action, detail)
        VALUES ('need', NEW.id, 'changed', NEW.urgency);
    END;
    CREATE TRIGGER need_deleted AFTER DELETE ON need BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('need', OLD.id, 'deleted');
    END;
    CREATE TRIGGER need_finished_releases_claim AFTER UPDATE OF status ON need
    WHEN NEW.status IN ('resolved', 'cancelled') BEGIN
        DELETE FROM claim WHERE subject = 'need' AND subject_id = NEW.id;
    END;
    CREATE TABLE need_callback (
        need_id INTEGER PRIMARY KEY REFERENCES need (id) ON DELETE CASCADE,
        phone TEXT NOT NULL,
        consent_at TEXT NOT NULL
    );
    CREATE TABLE report_attempt (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        address_key TEXT NOT NULL,
        device_key TEXT NOT NULL,
        accepted INTEGER NOT NULL
    );
    CREATE INDEX report_attempt_address ON report_attempt (address_key, at);
    CREATE INDEX report_attempt_device ON report_attempt (device_key, at);
    CREATE TABLE report_challenge_used (
        nonce TEXT PRIMARY KEY,
        at TEXT NOT NULL
    );
    """,
    # 12: a patrol team's phone joins like a shelter tablet, with a link scoped to its
    # team (and so to the places of its route) instead of one shelter. The team may live
    # in a drill's database, so it is not a foreign key of this (live) table.
    """
    CREATE TABLE device_new (
        id INTEGER PRIMARY KEY,
        shelter_id TEXT REFERENCES shelter (id) ON DELETE CASCADE,
        patrol_team_id INTEGER,
        label TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        language TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT,
        revoked_by TEXT,
        CHECK ((shelter_id IS NULL) <> (patrol_team_id IS NULL))
    );
    INSERT INTO device_new (id, shelter_id, label, token_hash, language, created_at,
        created_by, expires_at, last_used_at, revoked_at, revoked_by)
    SELECT id, shelter_id, label, token_hash, language, created_at, created_by, expires_at,
        last_used_at, revoked_at, revoked_by FROM device;
    DROP TABLE device;
    ALTER TABLE device_new RENAME TO device;
    CREATE INDEX device_shelter ON device (shelter_id);
    CREATE INDEX device_patrol_team ON device (patrol_team_id);
    """,
    # 13: the center's desk: consultations (counts and topics; a name or phone number
    # only with consent, kept apart for purge), rumours and how often they were heard,
    # and the shift hand-over sheets with their acknowledgement.
    """
    CREATE TABLE consultation (
        id INTEGER PRIMARY KEY,
        client_id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        channel TEXT NOT NULL,
        language TEXT NOT NULL,
        topic TEXT NOT NULL,
        people INTEGER NOT NULL DEFAULT 1 CHECK (people > 0),
        place_id TEXT REFERENCES shelter (id) ON DELETE SET NULL,
        ward TEXT,
        question TEXT NOT NULL,
        answer TEXT,
        referral TEXT,
        follow_up_due TEXT,
        status TEXT NOT NULL DEFAULT 'open'
            CHECK (status IN ('open', 'answered', 'follow_up', 'closed')),
        interpreter_id INTEGER REFERENCES volunteer (id) ON DELETE SET NULL,
        need_id INTEGER REFERENCES need (id) ON DELETE SET NULL,
        rumour_id INTEGER,
        created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
    );
    CREATE INDEX consultation_open ON consultation (status, follow_up_due)
        WHERE status != 'closed';
    CREATE INDEX consultation_at ON consultation (at);
    CREATE TABLE consultation_contact (
        consultation_id INTEGER PRIMARY KEY REFERENCES consultation (id) ON DELETE CASCADE,
        name TEXT,
        phone TEXT,
        consent_at TEXT NOT NULL
    );
    CREATE TRIGGER consultation_created AFTER INSERT ON consultation BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('consultation', NEW.id, 'created');
    END;
    CREATE TRIGGER consultation_changed AFTER UPDATE ON consultation BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('consultation', NEW.id, 'changed');
    END;
    CREATE TABLE rumour (
        id INTEGER PRIMARY KEY,
        text TEXT NOT NULL,
        languages TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL DEFAULT 'checking'
            CHECK (status IN ('checking', 'false', 'true', 'answered')),
        fact TEXT,
        notice_id INTEGER REFERENCES notice (id) ON DELETE SET NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE rumour_report (
        id INTEGER PRIMARY KEY,
        rumour_id INTEGER NOT NULL REFERENCES rumour (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        source TEXT NOT NULL,
        language TEXT,
        actor TEXT NOT NULL
    );
    CREATE INDEX rumour_report_rumour ON rumour_report (rumour_id, at);
    CREATE TRIGGER rumour_created AFTER INSERT ON rumour BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('rumour', NEW.id, 'created');
    END;
    CREATE TRIGGER rumour_changed AFTER UPDATE ON rumour BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('rumour', NEW.id, 'changed');
    END;
    CREATE TRIGGER rumour_heard AFTER INSERT ON rumour_report BEGIN
        INSERT INTO change_feed (kind, ref, action) VALUES ('rumour', NEW.rumour_id, 'changed');
    END;
    CREATE TABLE handover (
        id INTEGER PRIMARY KEY,
        shift_label TEXT NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        items TEXT NOT NULL,
        notes TEXT,
        next_shift TEXT,
        acknowledged_at TEXT,
        acknowledged_by TEXT
    );
    -- a notice made from answered consultations: "questions people asked" on the boards
    ALTER TABLE notice ADD COLUMN question_answer INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE consultation ADD COLUMN qa_notice_id INTEGER REFERENCES notice (id)
        ON DELETE SET NULL;
    -- asking beyond the city for interpreters and translators (EDXL-RM RequestResource)
    CREATE TABLE help_request (
        id INTEGER PRIMARY KEY,
        direction TEXT NOT NULL DEFAULT 'sent' CHECK (direction IN ('sent', 'received')),
        message_id TEXT NOT NULL UNIQUE,
        partner TEXT NOT NULL,
        languages TEXT NOT NULL,
        people INTEGER NOT NULL CHECK (people > 0),
        skills TEXT NOT NULL DEFAULT '[]',
        place TEXT NOT NULL,
        starts_at TEXT NOT NULL,
        ends_at TEXT NOT NULL,
        contact TEXT NOT NULL,
        note TEXT,
        status TEXT NOT NULL DEFAULT 'drafted' CHECK (status IN ('drafted', 'sent',
            'acknowledged', 'partly_filled', 'filled', 'cancelled')),
        filled INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE help_arrival (
        request_id INTEGER NOT NULL REFERENCES help_request (id) ON DELETE CASCADE,
        volunteer_id INTEGER NOT NULL REFERENCES volunteer (id) ON DELETE CASCADE,
        PRIMARY KEY (request_id, volunteer_id)
    );
    -- accounts for interpreters sent by a partner: they end by themselves
    ALTER TABLE user ADD COLUMN expires_at TEXT;
    """,
    # 14: official information in. What the city's disaster headquarters announces
    # (高齢者等避難 / 避難指示 / 緊急安全確保 and their 解除), each a published notice;
    # JMA reports, one row per event (its EventID, or the city's running warnings), the
    # draft notice it keeps up to date, and the files and feed entries already read;
    # a notice's reach (postings on the wall, views counted per place and language).
    """
    CREATE TABLE evacuation_order (
        id INTEGER PRIMARY KEY,
        client_id TEXT NOT NULL UNIQUE,
        level TEXT NOT NULL CHECK (level IN ('elderly', 'order', 'emergency')),
        hazard TEXT NOT NULL,
        areas TEXT NOT NULL,
        places TEXT NOT NULL DEFAULT '[]',
        notice_id INTEGER NOT NULL REFERENCES notice (id),
        issued_at TEXT NOT NULL,
        issued_by TEXT NOT NULL,
        ended_at TEXT,
        ended_by TEXT,
        ended_how TEXT CHECK (ended_how IN ('lifted', 'superseded')),
        lifted_notice_id INTEGER REFERENCES notice (id),
        superseded_by INTEGER REFERENCES evacuation_order (id)
    );
    CREATE INDEX evacuation_order_current ON evacuation_order (ended_at, issued_at);
    CREATE TABLE official_report (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        event_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        title TEXT NOT NULL,
        info_type TEXT NOT NULL,
        serial TEXT NOT NULL DEFAULT '',
        reported_at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        reports INTEGER NOT NULL DEFAULT 1,
        exercise INTEGER NOT NULL DEFAULT 0,
        notice_id INTEGER REFERENCES notice (id) ON DELETE SET NULL,
        summary TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE official_input (
        digest TEXT PRIMARY KEY,
        origin TEXT NOT NULL,
        at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        report_id INTEGER REFERENCES official_report (id) ON DELETE SET NULL
    );
    -- what reached whom: a tablet's "posted on the wall", and views of the boards as
    -- counters per notice x place x language x hour (no address, no cookie, no person)
    CREATE TABLE notice_posting (
        notice_id INTEGER NOT NULL REFERENCES notice (id) ON DELETE CASCADE,
        shelter_id TEXT NOT NULL REFERENCES shelter (id) ON DELETE CASCADE,
        posted_at TEXT NOT NULL,
        posted_by TEXT NOT NULL,
        PRIMARY KEY (notice_id, shelter_id)
    );
    CREATE TABLE notice_view (
        notice_id INTEGER NOT NULL REFERENCES notice (id) ON DELETE CASCADE,
        place TEXT NOT NULL,
        language TEXT NOT NULL,
        hour TEXT NOT NULL,
        views INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (notice_id, place, language, hour)
    );
    -- notices by e-mail: subscriptions from a board (double opt-in; addresses are
    -- personal data, purged), and the outbox (one row per notice and subscriber)
    CREATE TABLE mail_subscriber (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        language TEXT NOT NULL,
        place TEXT NOT NULL,
        token TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'active', 'unsubscribed')),
        consent_at TEXT NOT NULL,
        created_at TEXT NOT NULL,
        confirmed_at TEXT,
        unsubscribed_at TEXT,
        UNIQUE (email, place, language)
    );
    CREATE TABLE mail_outbox (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('confirm', 'notice')),
        subscriber_id INTEGER NOT NULL REFERENCES mail_subscriber (id) ON DELETE CASCADE,
        notice_id INTEGER REFERENCES notice (id) ON DELETE CASCADE,
        queued_at TEXT NOT NULL,
        claimed_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        sent_at TEXT,
        last_error TEXT
    );
    CREATE UNIQUE INDEX mail_outbox_once ON mail_outbox (subscriber_id, notice_id)
        WHERE kind = 'notice';
    CREATE INDEX mail_outbox_waiting ON mail_outbox (sent_at, id);
    -- translations checked by a second person: a notice's translation is reviewed by
    -- someone other than its translator; a template's text (data files) likewise, for
    -- the text as it is (its digest: a changed text needs a new review)
    ALTER TABLE notice_translation ADD COLUMN reviewed_by TEXT;
    ALTER TABLE notice_translation ADD COLUMN reviewed_at TEXT;
    CREATE TABLE template_review (
        template_id TEXT NOT NULL,
        language TEXT NOT NULL,
        digest TEXT NOT NULL,
        reviewed_by TEXT NOT NULL,
        reviewed_at TEXT NOT NULL,
        PRIMARY KEY (template_id, language, digest)
    );
    """,
]

# Migrations that rebuild a table others refer to: SQLite's own recipe turns foreign
# keys off around them (a DROP would otherwise cascade) and checks them before commit.
REBUILDS = {10, 11}

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(RuntimeError):
    pass


def private_folder(path):
    """A folder only this account may enter (the instance, drills, backups)."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def private_file(path):
    """Create ``path`` empty, readable and writable by this account only, unless it
    exists: SQLite then gives its -wal and -shm files the same permissions."""
    path = Path(path)
    private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    return path


def connect(path):
    """Open the database with the settings every connection needs."""
    if str(path) != ":memory:":
        private_file(path)
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
        check_same_thread=False,
    )
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    # WAL + NORMAL survives an application crash; only power loss may drop the
    # last transactions, never corrupt the file.
    conn.execute("PRAGMA synchronous = NORMAL")
    return sqlite_utils.Database(conn)


def schema_version(db):
    return db.execute("PRAGMA user_version").fetchone()[0]


def migrate(db, target=SCHEMA_VERSION):
    """Bring the schema forward to ``target``; each step is one transaction."""
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"the database has schema version {current}, this program knows "
            f"only up to {SCHEMA_VERSION}: upgrade disaster-support"
        )
    for version in range(current, target):
        script = MIGRATIONS[version]
        conn = db.conn
        rebuild = version in REBUILDS
        if rebuild:
            conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(script):
                conn.execute(statement)
            if rebuild and conn.execute("PRAGMA foreign_key_check").fetchone():
                raise sqlite3.IntegrityError(f"migration {version + 1}: a foreign key broke")
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            if rebuild:
                conn.execute("PRAGMA foreign_keys = ON")
    return schema_version(db)


def _statements(script):
    """The statements of a script; a trigger's body has semicolons of its own."""
    statements, pending = [], ""
    for part in script.split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    return statements


_WRITER = threading.RLock()


@contextlib.contextmanager
def write_transaction(db):
    """One write, one transaction.

    BEGIN IMMEDIATE takes the write lock at the start, so concurrent writers
    wait for each other (busy timeout) instead of failing half way.  Nested
    calls become savepoints through sqlite-utils' ``atomic``.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    # The threads of one server queue here, woken as soon as the writer before them
    # commits; SQLite's own busy handler sleeps in steps of up to 100 ms, which made
    # the slowest writes ten times slower than the rest. Other processes (commands)
    # still wait on the busy timeout.
    with _WRITER:
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        else:
            db.conn.execute("COMMIT")


def NOW():  # noqa: N802  (a replaceable clock: tests of drills run an accelerated one)
    return datetime.datetime.now(datetime.timezone.utc)


def utcnow():
    """Times are stored in UTC as ISO 8601 with offset, to the second."""
    return NOW().replace(microsecond=0).isoformat()


TOKYO = datetime.timezone(datetime.timedelta(hours=9), "Asia/Tokyo")
# The years a date people type may fall in: anything else (9999, 0001) is a slip that
# would break Japan-time arithmetic on every page that shows it.
EARLIEST_YEAR, LATEST_YEAR = 2000, 2099


def to_utc(value):
    """A date and time as typed or sent (Japan time unless it says otherwise) as stored:
    UTC, ISO 8601, to the second. ValueError if it is none, or outside the years above."""
    moment = datetime.datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TOKYO)
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise ValueError(value)
    return moment.astimezone(datetime.timezone.utc).replace(microsecond=0).isoformat()


def to_tokyo(value):
    """A stored UTC time as ISO 8601 in Japan time (``+09:00``), for exports."""
    if not value:
        return value
    return datetime.datetime.fromisoformat(value).astimezone(TOKYO).isoformat()


_thread = threading.local()


def get_db():
    """The request's connection to the operational data: the live database, or the one
    that what the app registered chooses (a running drill's)."""
    if "db" not in g:
        g.db = _thread_connection(_operational_path(), close_others=True)
    return g.db


def get_accounts_db():
    """The connection for accounts, tablets, tokens, sessions and sign-in throttling:
    always the live database, so a drill never forks them (a tablet revoked or a user
    disabled during a drill stays so after it). Outside a drill: ``get_db()``'s."""
    if "accounts_db" not in g:
        live = str(current_app.config["DATABASE"])
        g.accounts_db = get_db() if _operational_path() == live else _thread_connection(live)
    return g.accounts_db


def _operational_path():
    choose = current_app.extensions.get("choose_database")
    return str(choose(current_app) if choose else current_app.config["DATABASE"])


def _thread_connection(path, close_others=False):
    """Each server thread keeps its connections open between requests (opening one
    costs more than a small request itself); a new file at a path gets a new one. The
    operational connection, asked for first, closes those of other files but the live
    one (an ended drill's, another test's)."""
    try:
        key = os.stat(path).st_ino
    except FileNotFoundError:
        key = None
    if not hasattr(_thread, "connections"):
        _thread.connections = {}
    if close_others:
        wanted = {path, str(current_app.config["DATABASE"])}
        for other in [p for p in _thread.connections if p not in wanted]:
            _thread.connections.pop(other)[1].close()
    cached = _thread.connections.get(path)
    if cached is None or cached[0] != key:
        if cached is not None:
            cached[1].close()
        cached = _thread.connections[path] = (key, connect(path))
    return cached[1]


def close_db(_exc=None):
    for name in ("db", "accounts_db"):
        db = g.pop(name, None)
        if db is not None and db.conn.in_transaction:
            db.conn.rollback()  # never hand a half-done transaction to the next request


def init_app(app, choose_database=None):
    """``choose_database(app)`` gives the path of the operational database for this
    request or command (a capability above this module registers it: drills)."""
    if choose_database:
        app.extensions["choose_database"] = choose_database
    app.teardown_appcontext(close_db)
