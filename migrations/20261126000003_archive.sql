-- Finished work moved out of the hot tables by `mission-control archive --older-than 90d`: a
-- done or canceled task with its history, runs and approvals. Still in backups, verify-db and
-- cost totals; the audit log is never moved.
CREATE SCHEMA archive;

CREATE TABLE archive.tasks (LIKE public.tasks INCLUDING CONSTRAINTS INCLUDING INDEXES, archived_at timestamptz NOT NULL);
CREATE TABLE archive.task_assignees (LIKE public.task_assignees INCLUDING CONSTRAINTS INCLUDING INDEXES, archived_at timestamptz NOT NULL);
CREATE TABLE archive.task_transitions (LIKE public.task_transitions INCLUDING CONSTRAINTS INCLUDING INDEXES, archived_at timestamptz NOT NULL);
CREATE TABLE archive.comments (LIKE public.comments INCLUDING CONSTRAINTS INCLUDING INDEXES, archived_at timestamptz NOT NULL);
CREATE TABLE archive.documents (LIKE public.documents INCLUDING CONSTRAINTS INCLUDING INDEXES, archived_at timestamptz NOT NULL);
CREATE TABLE archive.approvals (LIKE public.approvals INCLUDING CONSTRAINTS INCLUDING INDEXES, archived_at timestamptz NOT NULL);
CREATE TABLE archive.runs (LIKE public.runs INCLUDING CONSTRAINTS INCLUDING INDEXES, archived_at timestamptz NOT NULL);
CREATE TABLE archive.task_threads (LIKE public.task_threads INCLUDING CONSTRAINTS INCLUDING INDEXES, archived_at timestamptz NOT NULL);
