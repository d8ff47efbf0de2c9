package signal

// Envelope is one incoming item. Exactly one of the message members is set.
type Envelope struct {
	SourceNumber   string          `json:"sourceNumber"`
	SourceUUID     string          `json:"sourceUuid"`
	SourceName     string          `json:"sourceName"`
	SourceDevice   int             `json:"sourceDevice"`
	Timestamp      int64           `json:"timestamp"`
	DataMessage    *DataMessage    `json:"dataMessage,omitempty"`
	ReceiptMessage *ReceiptMessage `json:"receiptMessage,omitempty"`
	// SyncMessage is this account's own other device talking: never an approval.
	SyncMessage any `json:"syncMessage,omitempty"`
}

// DataMessage is a message or reaction from a contact.
type DataMessage struct {
	Timestamp int64     `json:"timestamp"`
	Message   *string   `json:"message"`
	Quote     *InQuote  `json:"quote,omitempty"`
	Reaction  *Reaction `json:"reaction,omitempty"`
}

// InQuote is the message a reply quotes: ID is that message's timestamp.
type InQuote struct {
	ID           int64  `json:"id"`
	Author       string `json:"author"`
	AuthorNumber string `json:"authorNumber"`
	Text         string `json:"text"`
}

// Reaction is an emoji on an earlier message, named by its timestamp.
type Reaction struct {
	Emoji               string `json:"emoji"`
	TargetAuthorNumber  string `json:"targetAuthorNumber"`
	TargetSentTimestamp int64  `json:"targetSentTimestamp"`
	IsRemove            bool   `json:"isRemove"`
}

// ReceiptMessage reports delivery or reading of messages, named by their timestamps.
type ReceiptMessage struct {
	When       int64   `json:"when"`
	IsDelivery bool    `json:"isDelivery"`
	IsRead     bool    `json:"isRead"`
	Timestamps []int64 `json:"timestamps"`
}
