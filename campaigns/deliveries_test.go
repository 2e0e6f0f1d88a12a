package campaigns_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/knf-nordhausen/rundbrief/campaigns"
	"github.com/knf-nordhausen/rundbrief/internal/testenv"
)

// A subscriber's deliveries are read campaign by campaign, each looked up
// by campaign and subscriber: no index leads with the subscriber, and the
// whole table is never read for one person.
func TestReceivedLooksDeliveriesUpByCampaign(t *testing.T) {
	t.Parallel()
	st := testenv.NewStores(t)
	testenv.ManyDeliveries(t, st.DB, 40, 2500)
	ctx := context.Background()
	conn, err := st.DB.Connx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PREPARE received(bigint) AS `+campaigns.ReceivedSQL); err != nil {
		t.Fatal(err)
	}
	var lines []string
	if err := conn.SelectContext(ctx, &lines, `EXPLAIN EXECUTE received(1000)`); err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	lookup := regexp.MustCompile(`Index Scan using deliveries_once on deliveries \w+ .*\n\s+Index Cond: \(\(campaign_id = \w+\.id\) AND \(subscriber_id = `)
	if !lookup.MatchString(plan) || strings.Contains(plan, "Seq Scan on deliveries") {
		t.Errorf("a subscriber's deliveries are not looked up by campaign:\n%s", plan)
	}
}
