package engine

import "context"

// ImageHistory returns image ref's history, newest step first.
func (e *Engine) ImageHistory(ctx context.Context, ref string) ([]ImageHistoryEntry, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return nil, err
	}
	return imgs.History(ctx, ref)
}

// ImageTree returns image ref's layers, bottom first, with the images that
// share each.
func (e *Engine) ImageTree(ctx context.Context, ref string) (*ImageTree, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return nil, err
	}
	return imgs.Tree(ctx, ref)
}
