-- A person without an e-mail address can be registered by staff (a call
-- from someone who has none): a contact with a name and a phone number,
-- who appears on the sign-in sheet and is sent nothing. Only a contact may
-- lack an address, and then needs a phone number.

-- +goose Up
ALTER TABLE subscribers ALTER COLUMN email DROP NOT NULL;
ALTER TABLE subscribers ADD CONSTRAINT subscribers_email_or_phone
    CHECK (email IS NOT NULL OR (status = 'contact' AND phone <> '' AND name <> ''));

-- +goose Down
DELETE FROM subscribers WHERE email IS NULL;
ALTER TABLE subscribers DROP CONSTRAINT subscribers_email_or_phone;
ALTER TABLE subscribers ALTER COLUMN email SET NOT NULL;
