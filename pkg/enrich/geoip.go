package enrich

import (
	"fmt"
	"net/netip"
	"os"
	"strconv"

	"github.com/oschwald/maxminddb-golang/v2"

	"github.com/secpipe/secpipe/pkg/event"
)

// GeoIP looks addresses up in MaxMind-format databases: GeoLite2 City,
// Country and ASN, DB-IP Lite City, Country and ASN, or any database that
// lays its records out as they do. Several databases are asked in order;
// each field is taken from the first that has it (a City file for the
// place, an ASN file for the network).
type GeoIP struct {
	dbs []*geoDB
}

type geoDB struct {
	path   string
	reader *maxminddb.Reader
	// frags caches the rendered fields of a record, by its offset in the
	// file: most addresses of a network share one record.
	frags map[uintptr]*geoRecord
}

// geoRecord is the layout shared by the GeoLite2 and DB-IP Lite files.
type geoRecord struct {
	City struct {
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"city"`
	Continent struct {
		Code  string            `maxminddb:"code"`
		Names map[string]string `maxminddb:"names"`
	} `maxminddb:"continent"`
	Country struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"country"`
	Location struct {
		Latitude  *float64 `maxminddb:"latitude"`
		Longitude *float64 `maxminddb:"longitude"`
		TimeZone  string   `maxminddb:"time_zone"`
	} `maxminddb:"location"`
	Postal struct {
		Code string `maxminddb:"code"`
	} `maxminddb:"postal"`
	Subdivisions []struct {
		ISOCode string            `maxminddb:"iso_code"`
		Names   map[string]string `maxminddb:"names"`
	} `maxminddb:"subdivisions"`
	ASNumber uint32 `maxminddb:"autonomous_system_number"`
	ASOrg    string `maxminddb:"autonomous_system_organization"`
}

// OpenGeoIP reads the databases at paths into memory (so that a file
// replaced on disk does not change under a lookup).
func OpenGeoIP(paths []string) (*GeoIP, error) {
	g := &GeoIP{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("--geoip: %w", err)
		}
		r, err := maxminddb.OpenBytes(data)
		if err != nil {
			return nil, fmt.Errorf("--geoip %s: not a MaxMind database: %w", p, err)
		}
		g.dbs = append(g.dbs, &geoDB{path: p, reader: r, frags: map[uintptr]*geoRecord{}})
	}
	return g, nil
}

// Types names the databases' types, as their metadata gives them
// ("GeoLite2-City", "DBIP-ASN-Lite (compat=GeoLite2-ASN)").
func (g *GeoIP) Types() []string {
	var out []string
	for _, db := range g.dbs {
		out = append(out, db.reader.Metadata.DatabaseType)
	}
	return out
}

// Place is what the databases know of an address, in ECS terms.
type Place struct {
	CityName, ContinentCode, ContinentName, CountryISO, CountryName string
	RegionISO, RegionName, PostalCode, TimeZone                     string
	Lat, Lon                                                        float64
	HasLocation                                                     bool
	ASNumber                                                        uint32
	ASOrg                                                           string
}

// recordKey names the records the databases hold for an address (offset+1
// in each of the first four databases, 0 where none), so that addresses of
// the same records share their rendered fields.
type recordKey [4]uintptr

// key returns the records of addr; ok is false when no database has one
// (or the address is not public). cacheable is false with more than four
// databases.
func (g *GeoIP) key(addr netip.Addr) (k recordKey, ok, cacheable bool, err error) {
	addr = addr.Unmap()
	if !Public(addr) {
		return k, false, true, nil
	}
	for i, db := range g.dbs {
		res := db.reader.Lookup(addr)
		if err := res.Err(); err != nil {
			return k, false, false, fmt.Errorf("%s: %w", db.path, err)
		}
		if res.Found() {
			ok = true
			if i < len(k) {
				k[i] = res.Offset() + 1
			}
		}
	}
	return k, ok, len(g.dbs) <= len(k), nil
}

// place returns what the records of k hold (k as key gives it); found
// is false when they hold nothing.
func (g *GeoIP) place(k recordKey) (p Place, found bool, err error) {
	for i, off := range k[:min(len(k), len(g.dbs))] {
		if off == 0 {
			continue
		}
		rec, err := g.dbs[i].record(g.dbs[i].reader.LookupOffset(off - 1))
		if err != nil {
			return p, false, err
		}
		found = p.merge(rec) || found
	}
	return p, found, nil
}

// record decodes the record of res, or takes it from db.frags.
func (db *geoDB) record(res maxminddb.Result) (*geoRecord, error) {
	rec, ok := db.frags[res.Offset()]
	if !ok {
		rec = new(geoRecord)
		if err := res.Decode(rec); err != nil {
			return nil, fmt.Errorf("%s: %w", db.path, err)
		}
		if len(db.frags) > 1<<16 {
			clear(db.frags)
		}
		db.frags[res.Offset()] = rec
	}
	return rec, nil
}

// Lookup returns what the databases know of addr. Private, loopback,
// link-local, multicast, documentation and other reserved addresses are
// not looked up.
func (g *GeoIP) Lookup(addr netip.Addr) (Place, bool, error) {
	var p Place
	addr = addr.Unmap()
	if !Public(addr) {
		return p, false, nil
	}
	found := false
	for _, db := range g.dbs {
		res := db.reader.Lookup(addr)
		if err := res.Err(); err != nil {
			return p, false, fmt.Errorf("%s: %w", db.path, err)
		}
		if !res.Found() {
			continue
		}
		rec, err := db.record(res)
		if err != nil {
			return p, false, err
		}
		found = p.merge(rec) || found
	}
	return p, found, nil
}

// merge fills the fields of p still empty from rec; it reports whether
// rec gave anything.
func (p *Place) merge(r *geoRecord) bool {
	gave := false
	set := func(dst *string, v string) {
		if *dst == "" && v != "" {
			*dst, gave = v, true
		}
	}
	set(&p.CityName, r.City.Names["en"])
	set(&p.ContinentCode, r.Continent.Code)
	set(&p.ContinentName, r.Continent.Names["en"])
	set(&p.CountryISO, r.Country.ISOCode)
	set(&p.CountryName, r.Country.Names["en"])
	if len(r.Subdivisions) > 0 {
		if s := r.Subdivisions[0]; s.ISOCode != "" && r.Country.ISOCode != "" {
			set(&p.RegionISO, r.Country.ISOCode+"-"+s.ISOCode)
		}
		set(&p.RegionName, r.Subdivisions[0].Names["en"])
	}
	set(&p.PostalCode, r.Postal.Code)
	set(&p.TimeZone, r.Location.TimeZone)
	if !p.HasLocation && r.Location.Latitude != nil && r.Location.Longitude != nil {
		p.Lat, p.Lon, p.HasLocation, gave = *r.Location.Latitude, *r.Location.Longitude, true, true
	}
	if p.ASNumber == 0 && r.ASNumber != 0 {
		p.ASNumber, gave = r.ASNumber, true
	}
	set(&p.ASOrg, r.ASOrg)
	return gave
}

// appendFields appends `"geo":{...},"as":{...}` (either may be missing)
// without a leading comma; it returns dst unchanged when p is empty.
func (p *Place) appendFields(dst []byte) []byte {
	start := len(dst)
	geo := len(dst)
	dst = append(dst, `"geo":{`...)
	first := true
	str := func(k, v string) {
		if v == "" {
			return
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = append(dst, k...)
		dst = append(dst, `":`...)
		dst = event.AppendString(dst, v)
	}
	str("city_name", p.CityName)
	str("continent_code", p.ContinentCode)
	str("continent_name", p.ContinentName)
	str("country_iso_code", p.CountryISO)
	str("country_name", p.CountryName)
	if p.HasLocation {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, `"location":{"lat":`...)
		dst = strconv.AppendFloat(dst, p.Lat, 'f', -1, 64)
		dst = append(dst, `,"lon":`...)
		dst = strconv.AppendFloat(dst, p.Lon, 'f', -1, 64)
		dst = append(dst, '}')
	}
	str("postal_code", p.PostalCode)
	str("region_iso_code", p.RegionISO)
	str("region_name", p.RegionName)
	str("timezone", p.TimeZone)
	if first {
		dst = dst[:geo]
	} else {
		dst = append(dst, '}')
	}
	if p.ASNumber != 0 || p.ASOrg != "" {
		if len(dst) > start {
			dst = append(dst, ',')
		}
		dst = append(dst, `"as":{`...)
		if p.ASNumber != 0 {
			dst = append(dst, `"number":`...)
			dst = strconv.AppendUint(dst, uint64(p.ASNumber), 10)
		}
		if p.ASOrg != "" {
			if p.ASNumber != 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `"organization":{"name":`...)
			dst = event.AppendString(dst, p.ASOrg)
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
	}
	return dst
}

// reserved are the special-purpose ranges of RFC 6890 and its successors
// that netip does not name: no database places them.
var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("3fff::/20"),
}

// notPublic4 are the IPv4 networks Public turns down: those netip calls
// private, loopback, link-local, multicast or broadcast, and the reserved
// ones above.
var notPublic4 = func() (out []netip.Prefix) {
	for _, s := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8",
		"169.254.0.0/16", "224.0.0.0/4", "255.255.255.255/32"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	for _, p := range reserved {
		if p.Addr().Is4() {
			out = append(out, p)
		}
	}
	return out
}()

// masks4 are notPublic4 as network and mask, for Public's IPv4 path.
var masks4 = func() (out []struct{ net, mask uint32 }) {
	for _, p := range notPublic4 {
		out = append(out, struct{ net, mask uint32 }{v4key(p.Addr()), ^uint32(0) << (32 - p.Bits())})
	}
	return out
}()

// Public reports whether addr is a globally routed unicast address: not
// private, loopback, link-local, multicast, unspecified or reserved.
func Public(addr netip.Addr) bool {
	addr = addr.Unmap()
	if addr.Is4() {
		k := v4key(addr)
		for _, n := range masks4 {
			if k&n.mask == n.net {
				return false
			}
		}
		return true
	}
	if !addr.IsValid() || !addr.IsGlobalUnicast() || addr.IsPrivate() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(addr) {
			return false
		}
	}
	return true
}
