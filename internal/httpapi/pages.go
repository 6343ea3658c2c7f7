package httpapi

// The read cache's answers are held in pages of memory the Go collector does not see (mapped
// from the system where it can be, pages_mmap.go): Go lets its heap grow to about twice what
// is live before collecting, so answers on the heap would cost their bytes twice in RSS. A
// page belongs at any time either to the free list or to exactly one answer, which returns it
// when the last of its holders — the cache and each request writing it — lets go (cached.refs).

// pageSize is a page's size: an answer wastes less than one page, and its pages, when they
// follow each other in a chunk, are written as one slice.
const pageSize = 1 << 10

// chunkPages is how many pages one mapping from the system holds (1 MiB): the arena grows a
// chunk at a time and never shrinks, so what it maps is the cache's bound, what requests still
// write, and less than one chunk.
const chunkPages = 1 << 10

// pageID names a page: its chunk times chunkPages plus its index in the chunk.
type pageID uint32

// pageArena hands out pages. It is not safe for concurrent use: the cache's lock guards it.
type pageArena struct {
	chunks [][]byte
	free   []pageID // a stack; the next page handed out is the last one
}

// alloc returns n pages, mapping chunks as needed.
func (a *pageArena) alloc(n int) []pageID {
	for len(a.free) < n {
		chunk := mapChunk(chunkPages * pageSize)
		first := pageID(len(a.chunks) * chunkPages)
		a.chunks = append(a.chunks, chunk)
		for i := chunkPages - 1; i >= 0; i-- { // handed out in ascending order: contiguous
			a.free = append(a.free, first+pageID(i))
		}
	}
	ids := make([]pageID, n)
	for i := range ids {
		ids[i] = a.free[len(a.free)-1-i]
	}
	a.free = a.free[:len(a.free)-n]
	return ids
}

// release returns pages to the free list, so that the next answer of as many pages or fewer
// gets them back in the same (contiguous, where they were) order.
func (a *pageArena) release(ids []pageID) {
	for i := len(ids) - 1; i >= 0; i-- {
		a.free = append(a.free, ids[i])
	}
}

// page returns the memory of a page.
func (a *pageArena) page(id pageID) []byte {
	off := int(id%chunkPages) * pageSize
	return a.chunks[id/chunkPages][off : off+pageSize : off+pageSize]
}

// store copies body into pages (which must be enough for it).
func (a *pageArena) store(ids []pageID, body []byte) {
	for _, id := range ids {
		body = body[copy(a.page(id), body):]
	}
}

// runs returns the n bytes held in ids as slices of the pages' memory, one per run of pages
// that follow each other in one chunk, so that an answer is written in as few writes as it
// would be from one slice. They stay valid while the pages are not released.
func (a *pageArena) runs(ids []pageID, n int) [][]byte {
	var out [][]byte
	for i := 0; i < len(ids) && n > 0; {
		j := i + 1
		for j < len(ids) && ids[j] == ids[j-1]+1 && ids[j]%chunkPages != 0 {
			j++
		}
		off := int(ids[i]%chunkPages) * pageSize
		size := min((j-i)*pageSize, n)
		out = append(out, a.chunks[ids[i]/chunkPages][off:off+size:off+size])
		n -= size
		i = j
	}
	return out
}

// pagesFor is how many pages n bytes take.
func pagesFor(n int) int { return (n + pageSize - 1) / pageSize }
