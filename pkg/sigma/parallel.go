package sigma

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// onAllCPUs calls f(i) for every i below n, on as many goroutines as there
// are CPUs, and returns when all calls have.
func onAllCPUs(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
