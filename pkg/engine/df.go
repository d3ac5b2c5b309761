package engine

import (
	"context"
	"path/filepath"
	"sort"
	"time"
)

// DiskUsage reports the space images and containers take (`system df`).
// Image sizes count shared layers once; a container's size is what it
// wrote (its upper directory). hutch has no named volumes yet: their row
// is zero.
func (e *Engine) DiskUsage(ctx context.Context) (*DiskUsage, error) {
	imgs, err := e.images(ctx)
	if err != nil {
		return nil, err
	}
	users, err := e.imageUsers()
	if err != nil {
		return nil, err
	}
	u, err := imgs.DiskUsage(ctx, func(id string) bool { return len(users[id]) > 0 })
	if err != nil {
		return nil, err
	}
	du := &DiskUsage{Images: []DiskUsageImage{}, Containers: []DiskUsageContainer{}}
	for _, img := range u.Images {
		img.Containers = len(users[img.ID])
		du.Images = append(du.Images, img)
	}
	ctrs := DiskUsageSummary{Type: "Containers"}
	now := time.Now()
	for _, list := range users {
		for _, c := range list {
			c = e.reconcile(ctx, c)
			size := dirSize(filepath.Join(e.rootfsDir(c.Config.ID), "upper"))
			ctrs.Total++
			ctrs.Size += size
			if c.State.Status.Active() {
				ctrs.Active++
			} else {
				ctrs.Reclaimable += size
			}
			du.Containers = append(du.Containers, DiskUsageContainer{
				ID: c.Config.ID, Name: c.Config.Name, Image: c.Config.ImageName, Command: nonNil(c.Config.Command),
				Created: c.Config.Created, Status: statusText(c, now), Size: size,
			})
		}
	}
	sort.SliceStable(du.Containers, func(i, j int) bool { return du.Containers[i].Created.After(du.Containers[j].Created) })
	du.Summary = []DiskUsageSummary{
		{Type: "Images", Total: len(u.Images), Active: u.Active, Size: u.Size, Reclaimable: u.Reclaimable},
		ctrs,
		{Type: "Local Volumes"},
	}
	return du, nil
}
