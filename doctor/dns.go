package doctor

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
)

// txt returns the TXT records at name, each joined from its strings; an
// error only when the lookup itself failed (not for a name without
// records).
func (d *Doctor) txt(ctx context.Context, name string) ([]string, error) {
	r := d.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	recs, err := r.LookupTXT(ctx, name)
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
		return nil, nil
	}
	return recs, err
}

// withPrefix are the records that start with prefix, case aside.
func withPrefix(recs []string, prefix string) []string {
	var out []string
	for _, r := range recs {
		if len(r) >= len(prefix) && strings.EqualFold(r[:len(prefix)], prefix) {
			out = append(out, strings.TrimSpace(r))
		}
	}
	return out
}

// spf checks the SPF record of the envelope sender's domain, which is
// what receivers check (RFC 7208, section 2.4), and that it aligns with
// the From domain for DMARC.
func (d *Doctor) spf(ctx context.Context) []Finding {
	domain := d.EnvelopeDomain
	if domain == "" {
		domain = d.FromDomain
	}
	if domain == "" {
		return nil
	}
	recs, err := d.txt(ctx, domain)
	if err != nil {
		return []Finding{found(Fail, DNSDown, domain, err.Error())}
	}
	spf := withPrefix(recs, "v=spf1")
	var out []Finding
	switch {
	case len(spf) == 0:
		out = append(out, found(Fail, SPFMissing, domain))
	case len(spf) > 1:
		out = append(out, found(Fail, SPFMany, domain, strconv.Itoa(len(spf))))
	default:
		rec := spf[0]
		terms := strings.Fields(strings.ToLower(rec))
		last := terms[len(terms)-1]
		switch {
		case last == "+all" || last == "all":
			out = append(out, found(Fail, SPFOpen, domain, rec))
		case last != "-all" && last != "~all" && !strings.HasPrefix(last, "redirect="):
			out = append(out, found(Warn, SPFNeutral, domain, rec))
		default:
			out = append(out, found(OK, SPFOK, domain, rec))
		}
	}
	if d.FromDomain != "" && !aligned(domain, d.FromDomain) {
		out = append(out, found(Warn, SPFUnaligned, domain, d.FromDomain))
	}
	return out
}

// aligned reports whether a and b are the same domain or one lies under
// the other: DMARC's relaxed alignment for the common cases (RFC 7489,
// section 3.1.2), without the public suffix list.
func aligned(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	return a == b || strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a)
}

// dkim checks that each key rundbrief signs with is published as it
// should be.
func (d *Doctor) dkim(ctx context.Context) []Finding {
	if len(d.DKIM) == 0 {
		if d.FromDomain == "" {
			return nil
		}
		return []Finding{found(Warn, DKIMOff, d.FromDomain)}
	}
	var out []Finding
	for _, r := range d.DKIM {
		recs, err := d.txt(ctx, r.Name)
		if err != nil {
			out = append(out, found(Fail, DNSDown, r.Name, err.Error()))
			continue
		}
		keys := withPrefix(recs, "v=DKIM1")
		if len(keys) == 0 {
			// v= is optional (RFC 6376, section 3.6.1); a p= is not.
			for _, rec := range recs {
				if tag(rec, "p") != "" {
					keys = append(keys, rec)
				}
			}
		}
		switch {
		case len(keys) == 0:
			out = append(out, found(Fail, DKIMMissing, r.Name, r.Value))
		case strings.ReplaceAll(tag(keys[0], "p"), " ", "") != r.PublicKey:
			out = append(out, found(Fail, DKIMMismatch, r.Name, r.Value))
		default:
			out = append(out, found(OK, DKIMOK, r.Name))
		}
	}
	return out
}

// dmarc checks the DMARC record of the From domain, which the large
// mailbox providers require of bulk senders.
func (d *Doctor) dmarc(ctx context.Context) []Finding {
	if d.FromDomain == "" {
		return nil
	}
	name := "_dmarc." + d.FromDomain
	recs, err := d.txt(ctx, name)
	if err != nil {
		return []Finding{found(Fail, DNSDown, name, err.Error())}
	}
	dm := withPrefix(recs, "v=DMARC1")
	switch {
	case len(dm) == 0:
		return []Finding{found(Fail, DMARCMissing, d.FromDomain)}
	case len(dm) > 1:
		return []Finding{found(Fail, DMARCInvalid, d.FromDomain, strings.Join(dm, " | "))}
	}
	p := strings.ToLower(tag(dm[0], "p"))
	if p != "none" && p != "quarantine" && p != "reject" {
		return []Finding{found(Fail, DMARCInvalid, d.FromDomain, dm[0])}
	}
	return []Finding{found(OK, DMARCOK, d.FromDomain, p)}
}

// tag is the value of tag name in a tag list "a=1; b=2" (RFC 6376,
// section 3.2), "" when it is missing.
func tag(rec, name string) string {
	for _, t := range strings.Split(rec, ";") {
		k, v, ok := strings.Cut(t, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (d *Doctor) bounces(ctx context.Context) []Finding {
	switch {
	case d.BounceAddress == "":
		return []Finding{found(Warn, BounceOff)}
	case d.Mailbox == nil:
		return []Finding{found(Warn, BounceNoMailbox, d.BounceAddress)}
	}
	if err := d.Mailbox(ctx); err != nil {
		return []Finding{found(Fail, BounceMailboxFailed, d.MailboxName, err.Error())}
	}
	return []Finding{found(OK, BounceMailboxOK, d.MailboxName)}
}
