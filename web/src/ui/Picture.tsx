import type { ProductSummary } from "../api/client";

type Image = ProductSummary["image"];

/** An image from its variants: WebP with a JPEG fallback, each a srcset by width. */
export function Picture({ image, alt, sizes }: { image: Image; alt: string; sizes: string }) {
  if (!image) return <div className="no-image" role="img" aria-label={alt} />;
  const set = (format: string) =>
    image.variants
      .filter((v) => v.format === format)
      .map((v) => `${v.url} ${v.width}w`)
      .join(", ");
  const fallback = image.variants.find((v) => v.format === "jpeg") ?? image.variants[0];
  return (
    <picture>
      <source type="image/webp" srcSet={set("webp")} sizes={sizes} />
      <img src={fallback?.url} srcSet={set("jpeg")} sizes={sizes} alt={alt} loading="lazy" width={fallback?.width} height={fallback?.height} />
    </picture>
  );
}
