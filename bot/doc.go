// Package bot is seedgate's Matrix side: the appservice registration, the bot's end-to-end
// encrypted device and its /sync crypto loop, the approvals room, the cards that show requests,
// and the reactions and replies that come back as votes.
//
// It decides nothing: it turns Matrix events into approval.Ballots with an assurance level and
// shows the approval package's answers.
package bot
