package approval

// assuranceRank orders assurance levels: a vote counts only at or above its request's minimum.
func assuranceRank(level string) int {
	switch level {
	case AssuranceHomeserver:
		return 1
	case AssuranceDevice:
		return 2
	case AssuranceSignature:
		return 3
	case AssurancePasskey:
		return 4
	}
	return 0
}

// needs says, in the words a voter is shown, what a request needs that a vote did not bring.
func needs(minimum string) string {
	switch minimum {
	case AssurancePasskey:
		return "needs a passkey approval (open the card's passkey link)"
	case AssuranceSignature:
		return "needs a signed approval (seedgate device approve)"
	case AssuranceDevice:
		return "needs a reply from a verified (cross-signed) device, or a signed approval"
	}
	return "needs a stronger vote"
}
