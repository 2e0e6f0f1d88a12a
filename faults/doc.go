// Package faults holds rundbrief's fault-injection tests: a whole
// installation — real `rundbrief worker` processes, PostgreSQL, a Redis of
// the test's own and an SMTP relay on 127.0.0.1 — is broken on purpose in
// the middle of a campaign, and the delivery log must still come out
// complete, with every recipient mailed and duplicates within their bound.
//
// The scenarios, each a test in this package:
//
//   - a worker killed with SIGKILL three times during a 10,000-recipient
//     campaign and started again each time;
//   - a relay that answers 451 to 30% of the messages;
//   - a relay that refuses some mailboxes for good (550 5.1.1);
//   - a relay that is down for 30 seconds;
//   - Redis emptied with FLUSHALL;
//   - PostgreSQL stopped and started again;
//   - a reminder that falls due while every worker is down;
//   - a campaign paused and resumed three times while it is sent.
//
// The tests build the rundbrief binary once (without the race detector, so
// that the workers run at their real speed) and run it as the operator
// would, configured by environment variables.
package faults
