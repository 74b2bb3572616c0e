package rating

// trie is a digit trie over destination prefixes: one flat slice of nodes,
// each with ten child indexes, so a lookup is one array index per digit and
// the whole deck is a handful of allocations however many prefixes it has.
type trie struct {
	nodes []trieNode // nodes[0] is the root
}

type trieNode struct {
	child [10]int32 // index into nodes; 0 = none (the root is nobody's child)
	dest  int32     // index+1 into the version's destinations; 0 = none
}

func newTrie(sizeHint int) *trie {
	t := &trie{nodes: make([]trieNode, 1, 1+sizeHint)}
	return t
}

// clone copies the trie so a later version can change it.
func (t *trie) clone() *trie {
	return &trie{nodes: append(make([]trieNode, 0, len(t.nodes)+16), t.nodes...)}
}

// set stores dest (index+1, or 0 to remove) at prefix, which must be
// digits, and returns what was there before.
func (t *trie) set(prefix string, dest int32) (prev int32) {
	n := int32(0)
	for i := 0; i < len(prefix); i++ {
		d := prefix[i] - '0'
		c := t.nodes[n].child[d]
		if c == 0 {
			if dest == 0 {
				return 0
			}
			t.nodes = append(t.nodes, trieNode{})
			c = int32(len(t.nodes) - 1)
			t.nodes[n].child[d] = c
		}
		n = c
	}
	prev = t.nodes[n].dest
	t.nodes[n].dest = dest
	return prev
}

// lookup returns the destination (index+1) of the longest prefix of digits
// that has one, and that prefix's length; 0, 0 if none. Non-digits end the walk.
func (t *trie) lookup(digits string) (dest int32, depth int) {
	n := int32(0)
	nodes := t.nodes
	for i := 0; i < len(digits); i++ {
		d := digits[i] - '0'
		if d > 9 {
			break
		}
		n = nodes[n].child[d]
		if n == 0 {
			break
		}
		if nodes[n].dest != 0 {
			dest, depth = nodes[n].dest, i+1
		}
	}
	return dest, depth
}

// ancestor returns the destination of the longest proper prefix of prefix.
func (t *trie) ancestor(prefix string) int32 {
	if len(prefix) < 2 {
		return 0
	}
	d, _ := t.lookup(prefix[:len(prefix)-1])
	return d
}
