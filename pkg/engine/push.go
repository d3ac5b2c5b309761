package engine

import "context"

// Push uploads local image src to the registry reference dest (src's own
// name when dest is empty) and returns the manifest digest. With
// o.SignBySigstoreKey the pushed manifest is signed too.
func (e *Engine) Push(ctx context.Context, src, dest string, o PushOptions) (string, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return "", err
	}
	return imgs.Push(ctx, src, dest, o)
}
