package probes

import (
	"slices"
	"testing"

	"github.com/chromedp/cdproto/cdp"
)

// TestUnseenRoots: the roots a walk of the page's scripts cannot enter are
// every closed shadow root, wherever it sits (in an open root, in another
// closed root, in a frame's document), and every frame's document; open
// roots are walked from the document and not listed.
func TestUnseenRoots(t *testing.T) {
	el := func(id cdp.BackendNodeID, children ...*cdp.Node) *cdp.Node {
		return &cdp.Node{BackendNodeID: id, NodeType: 1, NodeName: "DIV", Children: children}
	}
	shadow := func(kind cdp.ShadowRootType, id cdp.BackendNodeID, children ...*cdp.Node) *cdp.Node {
		return &cdp.Node{BackendNodeID: id, NodeType: 11, NodeName: "#document-fragment", ShadowRootType: kind, Children: children}
	}
	host := func(id cdp.BackendNodeID, root *cdp.Node, children ...*cdp.Node) *cdp.Node {
		n := el(id, children...)
		n.ShadowRoots = []*cdp.Node{root}
		return n
	}
	frame := func(id cdp.BackendNodeID, doc *cdp.Node) *cdp.Node {
		return &cdp.Node{BackendNodeID: id, NodeType: 1, NodeName: "IFRAME", ContentDocument: doc}
	}
	doc := func(id cdp.BackendNodeID, children ...*cdp.Node) *cdp.Node {
		return &cdp.Node{BackendNodeID: id, NodeType: 9, NodeName: "#document", Children: children}
	}

	cases := []struct {
		name string
		tree *cdp.Node
		want []cdp.BackendNodeID
	}{
		{"a page without either", doc(1, el(2, el(3)), host(4, shadow(cdp.ShadowRootTypeOpen, 5, el(6)))), nil},
		{"a closed root", doc(1, host(2, shadow(cdp.ShadowRootTypeClosed, 3, el(4)))), []cdp.BackendNodeID{3}},
		{"a closed root in an open one", doc(1, host(2, shadow(cdp.ShadowRootTypeOpen, 3, host(4, shadow(cdp.ShadowRootTypeClosed, 5))))), []cdp.BackendNodeID{5}},
		{"a closed root in a closed one", doc(1, host(2, shadow(cdp.ShadowRootTypeClosed, 3, host(4, shadow(cdp.ShadowRootTypeClosed, 5))))), []cdp.BackendNodeID{3, 5}},
		{"a closed root of a host's child", doc(1, host(2, shadow(cdp.ShadowRootTypeOpen, 3), host(4, shadow(cdp.ShadowRootTypeClosed, 5)))), []cdp.BackendNodeID{5}},
		{"a frame's document and its closed root", doc(1, frame(2, doc(3, host(4, shadow(cdp.ShadowRootTypeClosed, 5))))), []cdp.BackendNodeID{3, 5}},
		{"a frame in a closed root", doc(1, host(2, shadow(cdp.ShadowRootTypeClosed, 3, frame(4, doc(5))))), []cdp.BackendNodeID{3, 5}},
		{"a frame in another renderer", doc(1, frame(2, nil)), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := unseenRoots(tc.tree); !slices.Equal(got, tc.want) {
				t.Errorf("unseenRoots = %v, want %v", got, tc.want)
			}
		})
	}
}
