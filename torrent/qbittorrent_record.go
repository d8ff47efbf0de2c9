package torrent

import "unique"

// qbRecord is what the adapter holds of a torrent between polls, for qBittorrent's partial
// updates to decode over. The fields few distinct values cover (state, category, tags, save
// path, tracker) are held once per distinct set and pointed at: at 100,000 torrents that is
// 8 MB less than keeping a qbTorrent each.
type qbRecord struct {
	Name      string
	Size      int64
	TotalSize int64
	AddedOn   int64
	Progress  float64
	labels    unique.Handle[qbLabels]
}

// qbLabels are a record's low-variety fields.
type qbLabels struct {
	State, Category, Tags, SavePath, Tracker string
}

func (t *qbTorrent) compact() qbRecord {
	return qbRecord{Name: t.Name, Size: t.Size, TotalSize: t.TotalSize, AddedOn: t.AddedOn, Progress: t.Progress,
		labels: unique.Make(qbLabels{State: t.State, Category: t.Category, Tags: t.Tags, SavePath: t.SavePath, Tracker: t.Tracker})}
}

func (r qbRecord) expand() qbTorrent {
	l := r.labels.Value()
	return qbTorrent{Name: r.Name, Size: r.Size, TotalSize: r.TotalSize, AddedOn: r.AddedOn, Progress: r.Progress,
		State: l.State, Category: l.Category, Tags: l.Tags, SavePath: l.SavePath, Tracker: l.Tracker}
}

func (r qbRecord) torrent(hash string) Torrent {
	t := r.expand()
	return t.normalize(hash)
}
