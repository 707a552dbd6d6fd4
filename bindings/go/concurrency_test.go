package embedding

import (
	"errors"
	"sync"
	"testing"
)

func TestForwardFromManyGoroutines(t *testing.T) {
	const (
		vocab      = 500
		dim        = 64
		context    = 96
		goroutines = 32
		rounds     = 20
	)
	r := rng(31)
	token := r.floats(vocab * dim)
	position := r.floats(context * dim)
	model, err := NewFromTables(Options{VocabSize: vocab, Dim: dim, ContextLength: context, Threads: 2},
		token, position, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()

	var wg sync.WaitGroup
	failures := make(chan error, goroutines)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			local := rng(seed)
			out := make([]float32, 4*32*dim)
			for round := 0; round < rounds; round++ {
				ids := local.ids(4*32, vocab)
				start := int(local.next() % (context - 32 + 1))
				var err error
				if round%2 == 0 {
					err = model.ForwardInt32(ids, 4, 32, start, out)
				} else {
					err = model.ForwardInt64(widen(ids), 4, 32, start, out)
				}
				if err != nil {
					failures <- err
					return
				}
				expected := referenceForward(token, position, dim, widen(ids), 32, start)
				for i := range out {
					if out[i] != expected[i] {
						failures <- errors.New("wrong forward result")
						return
					}
				}
			}
		}(uint64(1000 + g))
	}
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Error(err)
	}
}

func TestWriteRowNeverInterleavesWithForward(t *testing.T) {
	const dim = 4096
	model, err := NewZeros(Options{VocabSize: 4, Dim: dim, ContextLength: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()

	done := make(chan struct{})
	var wg sync.WaitGroup
	torn := make(chan struct{}, 4)
	for g := 0; g < 3; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out := make([]float32, dim)
			for {
				select {
				case <-done:
					return
				default:
				}
				if err := model.ForwardInt32([]int32{2}, 1, 1, 0, out); err != nil {
					t.Error(err)
					return
				}
				for _, v := range out {
					if v != out[0] {
						torn <- struct{}{}
						return
					}
				}
			}
		}()
	}
	row := make([]float32, dim)
	for value := 1; value < 200; value++ {
		for i := range row {
			row[i] = float32(value)
		}
		if err := model.WriteRow(TableToken, 2, row); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	if len(torn) != 0 {
		t.Fatal("a forward saw a half-written row")
	}
}

func TestCloseWhileGoroutinesForward(t *testing.T) {
	r := rng(33)
	model, token, position := smallModel(t, &r)
	ids := r.ids(2*4, smallVocab)
	expected := referenceForward(token, position, smallDim, widen(ids), 4, 0)

	var wg sync.WaitGroup
	start := make(chan struct{})
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out := make([]float32, len(expected))
			for i := 0; i < 200; i++ {
				err := model.ForwardInt32(ids, 2, 4, 0, out)
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				for j := range out {
					if out[j] != expected[j] {
						t.Error("wrong result before Close")
						return
					}
				}
			}
		}()
	}
	close(start)
	model.Close()
	wg.Wait()
}
