package campaigns

// RecipientReader reads the recipients of c whose IDs are above after,
// only the first limit (0: all), as Start does.
type RecipientReader = recipientReader

// SetRecipientReader has s's Start read audiences with wrap(read), read
// being how it reads them otherwise.
func SetRecipientReader(s *Store, wrap func(read RecipientReader) RecipientReader) {
	s.readRecipients = wrap(s.eachRecipientAfter)
}

// OutcomeSQL is the statement that records the outcomes of claimed
// batches.
func OutcomeSQL() string { return deliveryLog.RecordClaimedSQL(fenceSQL, 3, batchOf) }

// ReceivedSQL is the statement that reads a subscriber's deliveries.
const ReceivedSQL = receivedSQL
