// Package cards renders every card and answer seedgate sends (bot/testdata/messages.html, kept
// by the bot's golden test) in headless Chromium, as a person would see them: it checks that
// only the HTML Matrix clients allow is used, that nothing escaped twice or left as markup
// shows, that the HTML body says everything the plain body says, and that the screenshot in
// docs/cards.png was taken of the current rendering.
package cards
