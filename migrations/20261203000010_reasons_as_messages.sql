-- A reason the system gave (a loop, a budget hold, an error streak) is also kept as a message
-- id with arguments, so the bot can say it in each chat's language. The text columns keep the
-- English wording for the API and the audit; these stay null for reasons a person typed.
ALTER TABLE agents ADD COLUMN status_reason_said jsonb;
ALTER TABLE tasks ADD COLUMN blocked_reason_said jsonb;
-- The archive keeps every column of the tasks it holds (`archive` copies them by name).
ALTER TABLE archive.tasks ADD COLUMN blocked_reason_said jsonb;
