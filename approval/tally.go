package approval

import (
	"slices"
	"strings"

	"github.com/seedgate/seedgate/store"
)

// Count is the standing of a request: each person's latest counted vote stands.
type Count struct {
	Approvals  int
	Denials    int
	ApprovedBy []string
	DeniedBy   []string
}

// Tally counts distinct people: several votes of one person, from any device or channel,
// count once, and the latest one stands.
func Tally(votes []*store.Vote) Count {
	latest := map[string]store.Decision{}
	var order []string
	for _, v := range votes {
		if !v.Counted {
			continue
		}
		if _, seen := latest[v.Person]; !seen {
			order = append(order, v.Person)
		}
		latest[v.Person] = v.Decision
	}
	var c Count
	for _, person := range order {
		switch latest[person] {
		case store.DecisionApprove:
			c.Approvals++
			c.ApprovedBy = append(c.ApprovedBy, person)
		case store.DecisionDeny:
			c.Denials++
			c.DeniedBy = append(c.DeniedBy, person)
		}
	}
	slices.Sort(c.ApprovedBy)
	slices.Sort(c.DeniedBy)
	return c
}

func joinNames(names []string) string { return strings.Join(names, ", ") }
