package parquet

import (
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/zstd"
)

// zstdWindow is the window of the zstd encoders: Parquet compresses each
// page (about 1 MiB) on its own, so a larger window finds nothing more. The
// encoders arrow-go pools use the library's default of 8 MiB, which costs
// 16 MiB of history per encoder held for the life of the process.
const zstdWindow = 1 << 20

// pageZstd is arrow-go's zstd codec with encoders sized for Parquet pages.
// Decoding, and the streaming interface, are arrow-go's own. It is
// registered through compress.RegisterCodec, arrow-go's hook for exactly
// this; its output is standard zstd that every reader decodes.
type pageZstd struct {
	base  compress.Codec
	pools [zstd.SpeedBestCompression + 1]sync.Pool
}

func init() {
	base, err := compress.GetCodec(compress.Codecs.Zstd)
	if err != nil {
		panic("parquet: arrow-go has no zstd codec: " + err.Error())
	}
	compress.RegisterCodec(compress.Codecs.Zstd, &pageZstd{base: base})
}

func (c *pageZstd) encoder(level zstd.EncoderLevel) *zstd.Encoder {
	if e, ok := c.pools[level].Get().(*zstd.Encoder); ok {
		return e
	}
	e, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(level),
		zstd.WithEncoderConcurrency(1),
		zstd.WithWindowSize(zstdWindow),
		zstd.WithZeroFrames(true),
		zstd.WithAllLitEntropyCompression(true))
	if err != nil {
		panic("parquet: zstd encoder: " + err.Error()) // the options are constant
	}
	return e
}

// Encode compresses src at the default level.
func (c *pageZstd) Encode(dst, src []byte) []byte {
	return c.EncodeLevel(dst, src, compress.DefaultCompressionLevel)
}

// EncodeLevel compresses src at a zstd level (1 to 22).
func (c *pageZstd) EncodeLevel(dst, src []byte, level int) []byte {
	l := zstd.SpeedDefault
	if level != compress.DefaultCompressionLevel {
		l = zstd.EncoderLevelFromZstd(level)
	}
	e := c.encoder(l)
	defer c.pools[l].Put(e)
	return e.EncodeAll(src, dst[:0])
}

func (c *pageZstd) CompressBound(n int64) int64   { return c.base.CompressBound(n) }
func (c *pageZstd) Decode(dst, src []byte) []byte { return c.base.Decode(dst, src) }

// DecodeWithError decodes, reporting malformed input as an error.
func (c *pageZstd) DecodeWithError(dst, src []byte) ([]byte, error) {
	return compress.Decode(c.base, dst, src)
}

// NewReader, NewWriter and NewWriterLevel are arrow-go's streaming codec.
func (c *pageZstd) NewReader(r io.Reader) io.ReadCloser {
	return c.base.(compress.StreamingCodec).NewReader(r)
}

func (c *pageZstd) NewWriter(w io.Writer) io.WriteCloser {
	return c.base.(compress.StreamingCodec).NewWriter(w)
}

func (c *pageZstd) NewWriterLevel(w io.Writer, level int) (io.WriteCloser, error) {
	return c.base.(compress.StreamingCodec).NewWriterLevel(w, level)
}

var (
	_ compress.ErrorCodec     = (*pageZstd)(nil)
	_ compress.StreamingCodec = (*pageZstd)(nil)
)
