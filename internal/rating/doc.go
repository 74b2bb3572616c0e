// Package rating prices telephone calls: it normalizes a dialed number with
// the site's dialing plan, finds its destination by longest prefix in a digit
// trie, picks the tariff version in force at the call's start, counts charging
// units by step group and time band, and prices the call at carrier cost
// (Tariff.Rate) or for the guest under a hotel plan (Engine.Rate), recording
// every step of the price. It is pure: no I/O besides reading tariff files
// handed in as bytes, readers or an fs.FS; money is integer (Money, 1e-6 of a
// currency unit), never float. The file formats are in docs/tariffs.md.
package rating
